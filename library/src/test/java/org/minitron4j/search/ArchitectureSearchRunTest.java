package org.minitron4j.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.FixedRanking;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import org.minitron4j.train.TrainConfig;
import tech.tablesaw.api.Table;

/** {@link ArchitectureSearch#run} on a tiny random teacher and a synthetic token stream. */
class ArchitectureSearchRunTest {
    /** 3 layers, hidden 32, ffn 64, 4 query heads in 2 KV groups, vocab 32. */
    static final ModelConfig BASE = ModelConfig.llama(32, 32, 64, 3, 4, 2);
    static final ArchitectureSearch.Space SPACE = ArchitectureSearch.Space.defaults().withTolerance(0.1);
    static final long BUDGET = Math.round(BASE.parameterCount() * 0.7);
    static final SearchOptions OPTS = SearchOptions.defaults().withMaxCandidates(4).withBatch(2, 16).withEvalTokens(160)
            .withLearningRate(3e-3).withRetraining(6, 2).withSeed(7);

    static Model teacher;
    static FixedRanking scores;
    static int[] train, validation;

    /** A noisy repeating pattern: learnable, yet not trivially predicted. */
    static int[] stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(10) == 0 ? r.nextInt(32) : (i * 5) % 17 + 3;
        }
        return t;
    }

    @BeforeAll
    static void setUp() {
        teacher = Model.random(BASE, Device.cpu(), 11);
        scores = FixedRanking.random(BASE, 3);
        train = stream(2000, 1);
        validation = stream(400, 2);
        // a teacher that knows the pattern, so that distilling from it moves the students' losses
        Distillation.of(null, DistillationConfig.clmOnly(TrainConfig.of(40, 4, 16, 1e-2))).withProgress(Progress.NONE).run(teacher, train, null);
    }

    @AfterAll
    static void tearDown() {
        teacher.close();
    }

    @Test
    void triesTheTopCandidatesPrunedToTheirShapesAndRecordsTheLossAtEveryCheckpoint() {
        SearchResult r = ArchitectureSearch.run(teacher, scores, BUDGET, SPACE, OPTS, train, validation, Progress.NONE);
        List<ArchitectureSearch.Candidate> all = ArchitectureSearch.candidates(BASE, BUDGET, SPACE);
        assertTrue(all.size() >= 2, "the test needs several candidates: " + all);
        assertEquals(Math.min(4, all.size()), r.entries().size());
        assertArrayEquals(new int[] {0, 2, 4, 6}, r.steps());
        int[] scored = Arrays.copyOf(validation, 160);
        assertEquals(LmLoss.evaluate(teacher, scored, 16, 2).loss(), r.teacherLoss(), 1e-6);
        for (int i = 0; i < r.entries().size(); i++) {
            SearchResult.Entry e = r.entries().get(i);
            ArchitectureSearch.Candidate c = e.candidate();
            assertEquals(all.get(i), c, "candidates tried in candidates() order");
            assertTrue(Math.abs(c.parameters() - BUDGET) <= 0.1 * BUDGET, c.toString());
            assertEquals(4, e.losses().length);
            for (double l : e.losses()) {
                assertTrue(Double.isFinite(l) && l > 0, Arrays.toString(e.losses()));
            }
            try (PruneResult p = Pruner.prune(teacher, c.plan(), scores)) {
                assertEquals(c.plan().targetConfig(BASE), p.model().config());
                assertEquals(c.parameters(), p.model().parameterCount());
                assertEquals(LmLoss.evaluate(p.model(), scored, 16, 2).loss(), e.lossStep0(), 1e-6, "step-0 loss of " + c);
            }
        }
        // the first candidate's curve is an ordinary distillation run of its pruned model, validated on the scored tokens
        SearchResult.Entry first = r.entries().get(0);
        try (PruneResult p = Pruner.prune(teacher, first.candidate().plan(), scores)) {
            TrainConfig tc = TrainConfig.of(6, 2, 16, 3e-3).withSeed(7).withLogging(1, 2, 160);
            Distillation.Result d = Distillation.of(teacher, DistillationConfig.defaults(tc)).withProgress(Progress.NONE).run(p.model(), train, scored);
            Table log = d.log().table();
            for (int k = 1; k < 4; k++) {
                int step = r.steps()[k];
                double logged = log.where(log.intColumn("step").isEqualTo(step)).doubleColumn("val_loss").getDouble(0);
                // equal up to float rounding, which AdamW's first steps amplify (an update is ±lr for any gradient
                // much larger than epsilon, however tiny), so allow a fraction of what the retraining moved the loss
                assertEquals(logged, first.losses()[k], 0.05 * Math.abs(first.lossFinal() - first.lossStep0()) + 1e-5,
                        "loss at step " + step + " of " + Arrays.toString(first.losses()));
            }
        }
        for (SearchResult.Entry e : r.entries()) {
            assertTrue(Math.abs(e.lossFinal() - e.lossStep0()) > 1e-4, "the retraining changed the model: "
                    + Arrays.toString(e.losses()));
        }
        assertEquals(r.teacherLoss(), LmLoss.evaluate(teacher, scored, 16, 2).loss(), 1e-9, "teacher untouched");
    }

    @Test
    void theLeaderboardRanksByFinalLossAndStabilityIsKendallTauBetweenSuccessiveRankings() {
        SearchResult r = ArchitectureSearch.run(teacher, scores, BUDGET, SPACE, OPTS, train, validation, Progress.NONE);
        Table board = r.leaderboard();
        assertEquals(List.of("candidate", "layers", "hidden", "heads", "kv_heads", "ffn", "parameters", "budget_ratio",
                "loss_step0", "loss_final", "rank_step0", "rank"), board.columnNames());
        assertEquals(r.entries().size(), board.rowCount());
        for (int i = 0; i < board.rowCount(); i++) {
            assertEquals(i + 1, board.intColumn("rank").getInt(i));
            if (i > 0) {
                assertTrue(board.doubleColumn("loss_final").getDouble(i) >= board.doubleColumn("loss_final").getDouble(i - 1));
            }
        }
        assertEquals(r.best().label(), board.stringColumn("candidate").get(0));
        double min = r.entries().stream().mapToDouble(SearchResult.Entry::lossFinal).min().orElseThrow();
        assertEquals(min, r.best().lossFinal());
        SearchResult.Entry e0 = r.entries().get(0);
        assertEquals(String.format(Locale.ROOT, "L%d-H%d-A%d-F%d", e0.candidate().numLayers(), e0.candidate().hiddenSize(),
                e0.candidate().numAttentionHeads(), e0.candidate().intermediateSize()), e0.label());

        Table s = r.stability();
        assertEquals(List.of("step", "kendall_tau_vs_previous", "kendall_tau_vs_final", "best_candidate"), s.columnNames());
        assertEquals(4, s.rowCount());
        assertTrue(Double.isNaN(s.doubleColumn("kendall_tau_vs_previous").getDouble(0)));
        for (int k = 0; k < 4; k++) {
            assertEquals(r.steps()[k], s.intColumn("step").getInt(k));
            double[] now = losses(r, k);
            if (k > 0) {
                assertEquals(handTau(now, losses(r, k - 1)), s.doubleColumn("kendall_tau_vs_previous").getDouble(k), 1e-12);
            }
            assertEquals(handTau(now, losses(r, 3)), s.doubleColumn("kendall_tau_vs_final").getDouble(k), 1e-12);
        }
        assertEquals(1.0, s.doubleColumn("kendall_tau_vs_final").getDouble(3), 1e-12);
        assertEquals(r.best().label(), s.stringColumn("best_candidate").get(3));
        assertEquals(r.entries().size() * 4, r.curves().rowCount());
        assertEquals(r.best().label(), r.toJsonNode().get("best").asText());
        assertEquals(1, r.toJsonNode().get("candidates").get(0).get("rank").asInt());
    }

    @Test
    void withoutRetrainingCandidatesAreRankedByThePrunedLoss() {
        SearchResult r = ArchitectureSearch.run(teacher, scores, BUDGET, SPACE, OPTS.withRetraining(0, 0), null, validation,
                Progress.NONE);
        assertArrayEquals(new int[] {0}, r.steps());
        Table board = r.leaderboard();
        for (int i = 0; i < board.rowCount(); i++) {
            assertEquals(board.doubleColumn("loss_step0").getDouble(i), board.doubleColumn("loss_final").getDouble(i));
            assertEquals(board.intColumn("rank_step0").getInt(i), board.intColumn("rank").getInt(i));
        }
        assertEquals(1, r.stability().rowCount());
        assertEquals(1.0, r.stability().doubleColumn("kendall_tau_vs_final").getDouble(0), 1e-12);
    }

    @Test
    void checkpointStepsIncludeZeroEveryIntervalAndTheLastStep() {
        assertArrayEquals(new int[] {0, 3, 6, 7}, SearchOptions.defaults().withRetraining(7, 3).checkpointSteps());
        assertArrayEquals(new int[] {0, 5}, SearchOptions.defaults().withRetraining(5, 0).checkpointSteps());
        assertArrayEquals(new int[] {0}, SearchOptions.defaults().checkpointSteps());
    }

    @Test
    void aBudgetAboveTheModelOrWithoutCandidatesIsABadInputNamingIt() {
        long big = BASE.parameterCount() + 1;
        String m = assertThrows(InvalidInputException.class, () -> ArchitectureSearch.run(teacher, scores, big, SPACE, OPTS,
                train, validation, Progress.NONE)).getMessage();
        assertTrue(m.contains(String.format(Locale.ROOT, "%,d", big)) && m.contains("not smaller"), m);
        long odd = BUDGET + 1;
        ArchitectureSearch.Space exact = SPACE.withTolerance(0);
        assertTrue(ArchitectureSearch.candidates(BASE, odd, exact).isEmpty());
        m = assertThrows(InvalidInputException.class, () -> ArchitectureSearch.run(teacher, scores, odd, exact, OPTS,
                train, validation, Progress.NONE)).getMessage();
        assertTrue(m.contains(String.format(Locale.ROOT, "%,d", odd)) && m.contains("±0%"), m);
        m = assertThrows(InvalidInputException.class, () -> ArchitectureSearch.run(teacher, scores, BUDGET, SPACE, OPTS,
                null, validation, Progress.NONE)).getMessage();
        assertTrue(m.contains("training tokens"), m);
    }

    static double[] losses(SearchResult r, int k) {
        return r.entries().stream().mapToDouble(e -> e.losses()[k]).toArray();
    }

    /** Kendall's tau-b by counting pairs. */
    static double handTau(double[] a, double[] b) {
        long concordant = 0, discordant = 0, tiesA = 0, tiesB = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = i + 1; j < a.length; j++) {
                double da = Math.signum(a[i] - a[j]), db = Math.signum(b[i] - b[j]);
                if (da == 0 && db == 0) {
                    continue;
                } else if (da == 0) {
                    tiesA++;
                } else if (db == 0) {
                    tiesB++;
                } else if (da == db) {
                    concordant++;
                } else {
                    discordant++;
                }
            }
        }
        return (concordant - discordant) / Math.sqrt((double) (concordant + discordant + tiesA) * (concordant + discordant + tiesB));
    }
}
