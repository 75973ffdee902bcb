package org.minitron4j.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.FixedRanking;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import tech.tablesaw.api.Table;

class ArchitectureSearchTest {
    static final ModelConfig BASE = ModelConfig.llama(100, 64, 160, 6, 8, 2).withHeadDim(16);

    static ModelConfig config(ArchitectureSearch.Candidate c, ModelConfig base) {
        return c.plan().targetConfig(base);
    }

    @Test
    void everyCandidateIsWithinToleranceRespectsTheConstraintsAndHasTheBestMlpWidth() {
        long budget = Math.round(BASE.parameterCount() * 0.6);
        ArchitectureSearch.Space space = ArchitectureSearch.Space.defaults();
        List<ArchitectureSearch.Candidate> cs = ArchitectureSearch.candidates(BASE, budget, space);
        assertFalse(cs.isEmpty());
        long prevDistance = -1;
        for (ArchitectureSearch.Candidate c : cs) {
            ModelConfig t = config(c, BASE);
            assertEquals(t.parameterCount(), c.parameters(), c.toString());
            long distance = Math.abs(c.parameters() - budget);
            assertTrue(distance <= 0.05 * budget, c.toString());
            assertTrue(distance >= prevDistance, "closest first");
            prevDistance = distance;
            assertTrue(c.hiddenSize() % 8 == 0, c.toString());
            assertTrue(c.intermediateSize() % 8 == 0 && c.intermediateSize() <= 160, c.toString());
            assertEquals(2, c.numKeyValueHeads());
            assertEquals(0, c.numAttentionHeads() % 2);
            for (int delta : new int[] {-8, 8}) {
                int ffn = c.intermediateSize() + delta;
                if (ffn > 0 && ffn <= 160) {
                    long other = t.withIntermediateSize(ffn).parameterCount();
                    assertTrue(Math.abs(other - budget) >= distance, "MLP width " + ffn + " is not closer for " + c);
                }
            }
        }
        Table table = ArchitectureSearch.table(BASE, budget, space);
        assertEquals(cs.size(), table.rowCount());
        assertEquals(cs.get(0).parameters(), table.longColumn("parameters").get(0));
        assertEquals(List.of("num_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "intermediate_size",
                "parameters", "budget_ratio"), table.columnNames());
    }

    @Test
    void maxCutsBoundTheSearchAndGpt2KeepsHiddenEqualToHeadsTimesHeadDim() {
        long budget = Math.round(BASE.parameterCount() * 0.8);
        for (ArchitectureSearch.Candidate c : ArchitectureSearch.candidates(BASE, budget,
                ArchitectureSearch.Space.defaults().withMaxCuts(0.4, 0.2))) {
            assertTrue(c.numLayers() >= 5 && c.hiddenSize() >= 0.6 * 64 && c.numAttentionHeads() >= 0.6 * 8
                    && c.intermediateSize() >= 0.6 * 160, c.toString());
        }
        ModelConfig gpt2 = ModelConfig.fromHuggingFace(Path.of("src/test/resources/fixtures/gpt2"));
        List<ArchitectureSearch.Candidate> g = ArchitectureSearch.candidates(gpt2, gpt2.parameterCount() * 3 / 4,
                ArchitectureSearch.Space.defaults().withTolerance(0.1));
        assertFalse(g.isEmpty());
        g.forEach(c -> assertEquals(c.numAttentionHeads() * gpt2.headDim(), c.hiddenSize(), c.toString()));
    }

    @Test
    void aCandidatesPlanPrunesToItsParameterCount() {
        ArchitectureSearch.Candidate c = ArchitectureSearch.candidates(BASE, BASE.parameterCount() / 2,
                ArchitectureSearch.Space.defaults()).get(0);
        try (Model m = Model.random(BASE, Device.cpu(), 1);
             PruneResult r = Pruner.prune(m, c.plan(), FixedRanking.random(BASE, 2))) {
            assertEquals(c.parameters(), r.model().parameterCount());
        }
    }
}
