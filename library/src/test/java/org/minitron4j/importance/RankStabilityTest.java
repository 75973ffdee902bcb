package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minitron4j.Progress;
import org.minitron4j.model.Model;
import tech.tablesaw.api.Table;

class RankStabilityTest {
    @Test
    void kendallAndSpearmanOnKnownPermutations() {
        double[] a = {1, 2, 3, 4};
        assertEquals(1, RankStability.kendallTau(a, new double[] {10, 20, 30, 40}), 1e-12);
        assertEquals(-1, RankStability.kendallTau(a, new double[] {4, 3, 2, 1}), 1e-12);
        assertEquals(-1, RankStability.spearmanRho(a, new double[] {4, 3, 2, 1}), 1e-12);
        // one adjacent swap of four: 5 concordant, 1 discordant pair; Σd² = 2
        double[] swap = {1, 3, 2, 4};
        assertEquals(4.0 / 6, RankStability.kendallTau(a, swap), 1e-12);
        assertEquals(1 - 6.0 * 2 / (4 * 15), RankStability.spearmanRho(a, swap), 1e-12);
        // rank-based: any monotone transform of the scores agrees perfectly
        assertEquals(1, RankStability.spearmanRho(a, new double[] {1, 8, 27, 64}), 1e-12);
    }

    @Test
    void bootstrapIsDeterministicForASeedAndBracketsTheScores() {
        try (Model model = Model.random(TestModels.GQA, Device.cpu(), 2)) {
            ActivationStats stats = Calibration.run(model, TestModels.windows(8, 6, 64, 3), 4, 8, Progress.NONE);
            Table a = RankStability.bootstrap(stats, Aggregation.PAPER, MlpVariant.PAPER, 20, 42, 0.9);
            Table b = RankStability.bootstrap(stats, Aggregation.PAPER, MlpVariant.PAPER, 20, 42, 0.9);
            Table c = RankStability.bootstrap(stats, Aggregation.PAPER, MlpVariant.PAPER, 20, 43, 0.9);
            assertEquals(a.doubleColumn("lo").asList(), b.doubleColumn("lo").asList());
            assertEquals(a.doubleColumn("mean").asList(), b.doubleColumn("mean").asList());
            assertNotEquals(a.doubleColumn("mean").asList(), c.doubleColumn("mean").asList());
            assertEquals(stats.scores().table().doubleColumn("score").asList(), a.doubleColumn("score").asList());
            for (int i = 0; i < a.rowCount(); i++) {
                assertTrue(a.doubleColumn("lo").get(i) <= a.doubleColumn("hi").get(i));
                assertTrue(a.doubleColumn("std").get(i) >= 0);
            }
            // rankings from two halves of the calibration set, and every aggregation against the paper's
            Table halves = RankStability.compare(stats.blocks(0, 4).scores(), stats.blocks(4, 8).scores(), 3);
            assertEquals(3 * 2 + 2, halves.rowCount());
            Table aggs = RankStability.aggregations(stats, Aggregation.PAPER, MlpVariant.PAPER);
            assertEquals(9 * 8, aggs.rowCount());
            List<Double> self = new ArrayList<>();
            for (int i = 0; i < aggs.rowCount(); i++) {
                if (aggs.stringColumn("aggregation").get(i).equals(Aggregation.PAPER.label())) {
                    self.add(aggs.doubleColumn("kendall").get(i));
                }
            }
            assertTrue(self.stream().allMatch(x -> Math.abs(x - 1) < 1e-12), self.toString());
        }
    }
}
