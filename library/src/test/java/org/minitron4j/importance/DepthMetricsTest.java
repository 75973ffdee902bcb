package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.minitron4j.Progress;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.TextEncoder;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.model.Model;
import org.minitron4j.model.WeightNames;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.Table;

class DepthMetricsTest {
    @Test
    void lmLossIncreaseOfALayerEqualsTheLossOfAModelWithoutIt() {
        int[] tokens = TestModels.windows(1, 120, 64, 7).get(0);
        try (Model model = Model.random(TestModels.GQA, Device.cpu(), 6)) {
            Table t = DepthMetrics.lmLossIncrease(model, tokens, LmLossOptions.defaults().withSeqLen(16).withBatchSize(4));
            assertEquals(3, t.rowCount());
            double base = LmLoss.evaluate(model, tokens, 16, 4).loss();
            for (int drop = 0; drop < 3; drop++) {
                try (Model without = TestModels.withoutLayer(model, drop)) {
                    double expected = LmLoss.evaluate(without, tokens, 16, 4).loss();
                    assertEquals(expected, t.doubleColumn("loss").get(drop), 1e-6, "layer " + drop);
                    assertEquals(expected - base, DepthMetrics.increases(t)[drop], 1e-6);
                }
            }
            Table grid = DepthMetrics.lmLossGrid(model, tokens, LmLossOptions.defaults().withSeqLen(16).withBatchSize(4), 2);
            assertEquals(3 + 2, grid.rowCount());
            assertEquals(t.doubleColumn("loss").get(1), grid.doubleColumn("loss").get(1), 1e-12);
        }
    }

    @Test
    void winograndeWithAnIdentityLayerRemovedScoresLikeTheFullModel() {
        TextEncoder enc = text -> text.chars().map(ch -> ch % 60 + 2).toArray();
        List<WinograndeItem> items = new ArrayList<>();
        String[] names = {"Ann", "Bob", "Cyd", "Dee"};
        for (int i = 0; i < 6; i++) {
            items.add(WinograndeItem.fromSentence("q" + i, "Then _ saw the " + "xyz".charAt(i % 3) + " of it.", names[i % 4],
                    names[(i + 1) % 4], i % 2 == 0 ? "1" : "2", i + 1));
        }
        try (Model random = Model.random(TestModels.GQA, Device.cpu(), 3);
             Model model = TestModels.edit(random, (name, w) -> {
                 if (name.equals(WeightNames.o(2) + ".weight") || name.equals(WeightNames.down(2) + ".weight")) {
                     java.util.Arrays.fill(w, 0f);
                 }
             })) {
            Table t = DepthMetrics.winograndeGrid(model, items, enc, WinograndeOptions.defaults(), 1, 3, Progress.NONE);
            assertEquals(3 + 2 + 1, t.rowCount());
            for (Row r : t) {
                assertTrue(r.getDouble("acc") >= 0 && r.getDouble("acc") <= 1);
                if (r.getInt("start") == 2 && r.getInt("length") == 1) {
                    assertEquals(r.getDouble("base_acc"), r.getDouble("acc"), 0);
                }
            }
        }
    }

    @Test
    void iterativeEstimationRescoresTheModelEachStepReturns() {
        List<Model> scored = new ArrayList<>();
        List<Model> made = new ArrayList<>();
        try (Model model = Model.random(TestModels.GQA, Device.cpu(), 1)) {
            List<int[]> windows = TestModels.windows(4, 5, 64, 9);
            var estimate = IterativeImportance.calibrating(windows, 2, Aggregation.PAPER, MlpVariant.PAPER);
            IterativeImportance.Result<String> r = IterativeImportance.run(model, List.of("a", "b", "c"), m -> {
                scored.add(m);
                return estimate.apply(m);
            }, (m, ranking, target) -> {
                assertEquals(TestModels.GQA.numAttentionHeads(), ranking.headScores(0).length);
                Model next = m.copy();
                made.add(next);
                return next;
            });
            assertEquals(3, r.steps().size());
            assertSame(model, scored.get(0));
            assertSame(made.get(0), scored.get(1));
            assertSame(made.get(1), scored.get(2));
            assertSame(made.get(2), r.model());
            assertNotSame(model, r.model());
            assertEquals(List.of("a", "b", "c"), r.steps().stream().map(IterativeImportance.Step::target).toList());
            // the input stays usable and the final model belongs to the caller
            assertEquals(model.parameterCount(), r.model().parameterCount());
            r.model().close();
        }
    }
}
