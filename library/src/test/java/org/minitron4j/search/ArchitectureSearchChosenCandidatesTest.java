package org.minitron4j.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.prune.FixedRanking;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import org.minitron4j.train.TrainConfig;

/** {@link ArchitectureSearch#run(Model, org.minitron4j.importance.ImportanceRanking, List, long, double, SearchOptions, int[], int[], Progress)}: caller-chosen candidates. */
class ArchitectureSearchChosenCandidatesTest {
    static Model teacher;
    static FixedRanking scores;
    static int[] train, validation;

    @BeforeAll
    static void setUp() {
        teacher = Model.random(ArchitectureSearchRunTest.BASE, Device.cpu(), 11);
        scores = FixedRanking.random(ArchitectureSearchRunTest.BASE, 3);
        train = ArchitectureSearchRunTest.stream(2000, 1);
        validation = ArchitectureSearchRunTest.stream(400, 2);
        Distillation.of(null, DistillationConfig.clmOnly(TrainConfig.of(40, 4, 16, 1e-2))).withProgress(Progress.NONE).run(teacher, train, null);
    }

    @AfterAll
    static void tearDown() {
        teacher.close();
    }

    @Test
    void triesExactlyTheGivenCandidatesInOrderWithTheSameCurvesAsTheBudgetSearch() {
        long budget = ArchitectureSearchRunTest.BUDGET;
        List<ArchitectureSearch.Candidate> all = ArchitectureSearch.candidates(ArchitectureSearchRunTest.BASE, budget,
                ArchitectureSearchRunTest.SPACE);
        assertTrue(all.size() >= 3, "the test needs several candidates: " + all);
        SearchOptions opts = ArchitectureSearchRunTest.OPTS.withMaxCandidates(3);
        // the budget search tries the first three; the chosen-candidate search is given them in reverse order, plus
        // one from further down the list (maxCandidates = 3 is not applied to a chosen list)
        List<ArchitectureSearch.Candidate> chosen = List.of(all.get(2), all.get(1), all.get(0), all.get(all.size() - 1));
        SearchResult bySpace = ArchitectureSearch.run(teacher, scores, budget, ArchitectureSearchRunTest.SPACE, opts, train,
                validation, Progress.NONE);
        SearchResult byList = ArchitectureSearch.run(teacher, scores, chosen, budget, 0.1, opts, train, validation,
                Progress.NONE);
        assertEquals(chosen.size(), byList.entries().size());
        assertEquals(budget, byList.budget());
        assertEquals(0.1, byList.tolerance());
        assertArrayEquals(bySpace.steps(), byList.steps());
        assertEquals(bySpace.teacherLoss(), byList.teacherLoss(), 1e-9);
        int[] scored = Arrays.copyOf(validation, opts.evalTokens());
        for (int i = 0; i < chosen.size(); i++) {
            SearchResult.Entry e = byList.entries().get(i);
            assertEquals(chosen.get(i), e.candidate(), "tried in the given order");
            try (PruneResult p = Pruner.prune(teacher, chosen.get(i).plan(), scores)) {
                assertEquals(LmLoss.evaluate(p.model(), scored, opts.seqLen(), opts.batchSize()).loss(), e.lossStep0(), 1e-6);
            }
        }
        for (int i = 0; i < 3; i++) {
            SearchResult.Entry a = bySpace.entries().get(i), b = byList.entries().get(2 - i);
            assertEquals(a.candidate(), b.candidate());
            for (int k = 0; k < a.losses().length; k++) {
                // same batches and seed: the same run, up to float rounding amplified by AdamW's first steps
                assertEquals(a.losses()[k], b.losses()[k], 0.05 * Math.abs(a.lossFinal() - a.lossStep0()) + 1e-5,
                        a.label() + " at step " + bySpace.steps()[k]);
            }
        }
    }

    @Test
    void anEmptyListIsRejected() {
        assertThrows(InvalidInputException.class, () -> ArchitectureSearch.run(teacher, scores, List.of(), 1000, 0.1,
                ArchitectureSearchRunTest.OPTS, train, validation, Progress.NONE));
    }
}
