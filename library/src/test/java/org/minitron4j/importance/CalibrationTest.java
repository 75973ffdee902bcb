package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.model.Activations;
import org.minitron4j.model.Capture;
import org.minitron4j.model.Forward;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Site;
import org.minitron4j.model.WeightNames;

class CalibrationTest {
    static final ModelConfig C = TestModels.GQA;

    /** Raw activations [sample][t][width] of every site and layer, captured in the same batches as calibration. */
    static double[][][][][] capture(Model model, List<int[]> windows, int batchSize) {
        List<Site> sites = new ArrayList<>(ActivationStats.SITES);
        sites.add(Site.BLOCK_INPUT);
        sites.add(Site.BLOCK_OUTPUT);
        int n = windows.size(), t = windows.get(0).length, layers = model.config().numLayers();
        double[][][][][] out = new double[sites.size()][layers][n][t][]; // (site, layer, sample, t, width)
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            try (NDManager scope = model.manager().newSubManager()) {
                int[][] ids = windows.subList(start, start + b).toArray(new int[0][]);
                Activations a = model.forward(scope.create(ids),
                        Forward.options().withCapture(Capture.of(sites.toArray(new Site[0]))).withoutLogits()).activations();
                for (int si = 0; si < sites.size(); si++) {
                    for (int l = 0; l < layers; l++) {
                        float[] v = a.get(sites.get(si), l).toFloatArray(); // (B, T, W)
                        int w = v.length / (b * t);
                        for (int i = 0; i < b; i++) {
                            for (int s = 0; s < t; s++) {
                                double[] row = new double[w];
                                for (int d = 0; d < w; d++) {
                                    row[d] = v[(i * t + s) * w + d];
                                }
                                out[si][l][start + i][s] = row;
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The aggregation of one channel computed from its definition in {@link Aggregation}. */
    static double direct(double[][][] a, int d, Aggregation agg) {
        int n = a.length, t = a[0].length;
        double[] x = new double[n];
        for (int b = 0; b < n; b++) {
            double mean = 0, sq = 0;
            for (int s = 0; s < t; s++) {
                mean += Math.abs(a[b][s][d]) / t;
                sq += a[b][s][d] * a[b][s][d];
            }
            double var = 0;
            for (int s = 0; s < t; s++) {
                var += (Math.abs(a[b][s][d]) - mean) * (Math.abs(a[b][s][d]) - mean) / t;
            }
            x[b] = switch (agg.sequence()) { case MEAN -> mean; case L2 -> Math.sqrt(sq); case VAR -> var; };
        }
        double m = 0, sq = 0;
        for (double v : x) {
            m += v / n;
            sq += v * v;
        }
        double var = 0;
        for (double v : x) {
            var += (v - m) * (v - m) / n;
        }
        return switch (agg.batch()) { case MEAN -> m; case L2 -> Math.sqrt(sq); case VAR -> var; };
    }

    static void assertRelative(double expected, double actual, double rel, String what) {
        assertTrue(Math.abs(expected - actual) <= rel * Math.max(Math.abs(expected), Math.abs(actual)) + 1e-15,
                () -> what + ": expected " + expected + ", got " + actual);
    }

    @Test
    void everyAggregationEqualsADirectRecomputationFromRawActivations() {
        List<int[]> windows = TestModels.windows(7, 5, C.vocabSize(), 11);
        try (Model model = Model.random(C, Device.cpu(), 3)) {
            ActivationStats stats = Calibration.run(model, windows, 3, 4, Progress.NONE);
            double[][][][][] raw = capture(model, windows, 3);
            for (Aggregation agg : Aggregation.all()) {
                for (int si = 0; si < ActivationStats.SITES.size(); si++) {
                    Site site = ActivationStats.SITES.get(si);
                    for (int l = 0; l < C.numLayers(); l++) {
                        double[] got = stats.channelScores(site, l, agg);
                        assertEquals(ActivationStats.width(C, site), got.length);
                        for (int d = 0; d < got.length; d++) {
                            assertRelative(direct(raw[si][l], d, agg), got[d], 1e-6, agg + " " + site + " layer " + l + " channel " + d);
                        }
                    }
                }
                // heads: L2 over each head's channels; channels: sum over all norms
                for (int l = 0; l < C.numLayers(); l++) {
                    double[] heads = stats.headScores(l, agg);
                    for (int h = 0; h < C.numAttentionHeads(); h++) {
                        double s = 0;
                        for (int j = 0; j < C.headDim(); j++) {
                            double v = direct(raw[0][l], h * C.headDim() + j, agg);
                            s += v * v;
                        }
                        assertRelative(Math.sqrt(s), heads[h], 1e-6, agg + " head " + h);
                    }
                }
                double[] ch = stats.channelScores(agg);
                for (int d = 0; d < C.hiddenSize(); d++) {
                    double s = 0;
                    for (int l = 0; l < C.numLayers(); l++) {
                        s += direct(raw[3][l], d, agg) + direct(raw[4][l], d, agg);
                    }
                    assertRelative(s, ch[d], 1e-6, agg + " channel " + d);
                }
            }
            // block importance of every contiguous block, from raw block inputs and outputs
            for (int s = 0; s < C.numLayers(); s++) {
                for (int e = s; e < C.numLayers(); e++) {
                    double cos = 0;
                    int count = 0;
                    for (int b = 0; b < windows.size(); b++) {
                        for (int p = 0; p < 5; p++) {
                            double[] x = raw[5][s][b][p], y = raw[6][e][b][p];
                            double dot = 0, nx = 0, ny = 0;
                            for (int d = 0; d < x.length; d++) {
                                dot += x[d] * y[d];
                                nx += x[d] * x[d];
                                ny += y[d] * y[d];
                            }
                            cos += dot / Math.sqrt(nx * ny);
                            count++;
                        }
                    }
                    // 1e-8: the block inputs' unit vectors are kept in float32 until their batch is done (about 1e-9 here)
                    assertEquals(1 - cos / count, stats.blockImportance(s, e - s + 1), 1e-8, "BI " + s + ".." + e);
                }
            }
            assertEquals(35, stats.tokens());
            assertEquals(7, stats.samples());
        }
    }

    @Test
    void blockImportanceOfALayerThatReturnsItsInputIsZero() {
        try (Model random = Model.random(C, Device.cpu(), 5);
             Model model = TestModels.edit(random, (name, w) -> {
                 if (name.equals(WeightNames.o(1) + ".weight") || name.equals(WeightNames.down(1) + ".weight")) {
                     java.util.Arrays.fill(w, 0f);
                 }
             })) {
            ActivationStats stats = Calibration.run(model, TestModels.windows(5, 6, C.vocabSize(), 2), 2, Progress.NONE);
            assertEquals(0, stats.blockImportance(1, 1), 1e-7);
            assertEquals(0, stats.layerImportance()[1], 1e-7);
            assertTrue(stats.layerImportance()[0] > 1e-4, "a real layer changes its input");
            assertEquals(stats.blockImportance(0, 1), stats.blockImportance(0, 2), 1e-7, "the identity layer adds nothing");
        }
    }

    @Test
    void blocksAreAdditiveSoASubsetEqualsCalibratingOnThatSubsetAlone() {
        List<int[]> windows = TestModels.windows(6, 4, C.vocabSize(), 21);
        try (Model model = Model.random(C, Device.cpu(), 8)) {
            ActivationStats all = Calibration.run(model, windows, 3, 6, Progress.NONE);
            ActivationStats firstHalf = Calibration.run(model, windows.subList(0, 3), 3, 3, Progress.NONE);
            ActivationStats sub = all.blocks(0, 3);
            assertEquals(3, sub.samples());
            for (Aggregation agg : Aggregation.all()) {
                double[] a = sub.channelScores(Site.MLP_POST_ACT, 2, agg), b = firstHalf.channelScores(Site.MLP_POST_ACT, 2, agg);
                for (int d = 0; d < a.length; d++) {
                    assertRelative(b[d], a[d], 1e-9, agg + " channel " + d);
                }
            }
            assertEquals(firstHalf.blockImportance(0, 3), sub.blockImportance(0, 3), 1e-12);
        }
    }

    @Test
    void statisticsSurviveSaveAndLoadWithEveryAggregation(@TempDir Path dir) {
        try (Model model = Model.random(C, Device.cpu(), 9)) {
            int[] tokens = TestModels.windows(1, 300, C.vocabSize(), 4).get(0);
            ActivationStats stats = Calibration.run(model, tokens, new CalibrationOptions(6, 8, 4, 77L, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            stats.save(dir);
            ActivationStats back = ActivationStats.load(dir);
            assertEquals(stats.config(), back.config());
            assertEquals(stats.settings(), back.settings());
            assertEquals(77L, back.settings().seed());
            for (Aggregation agg : Aggregation.all()) {
                for (MlpVariant v : MlpVariant.values()) {
                    ImportanceScores a = stats.scores(agg, v), b = back.scores(agg, v);
                    for (int l = 0; l < C.numLayers(); l++) {
                        org.junit.jupiter.api.Assertions.assertArrayEquals(a.headScores(l), b.headScores(l));
                        org.junit.jupiter.api.Assertions.assertArrayEquals(a.neuronScores(l), b.neuronScores(l));
                    }
                    org.junit.jupiter.api.Assertions.assertArrayEquals(a.channelScores(), b.channelScores());
                    org.junit.jupiter.api.Assertions.assertArrayEquals(a.layerScores(), b.layerScores());
                }
            }
        }
    }

    @Test
    void badCalibrationInputIsRejectedWithTheValueNamed() {
        try (Model model = Model.random(C, Device.cpu(), 1)) {
            List<int[]> ragged = List.of(new int[] {1, 2, 3}, new int[] {1, 2});
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> Calibration.run(model, ragged, 2, Progress.NONE));
            assertTrue(e.getMessage().contains("sample 1 has 2"), e.getMessage());
            e = assertThrows(InvalidInputException.class,
                    () -> Calibration.run(model, List.of(new int[] {1, 200}), 1, Progress.NONE));
            assertTrue(e.getMessage().contains("200"), e.getMessage());
            e = assertThrows(InvalidInputException.class,
                    () -> Calibration.run(model, List.of(new int[] {1, 2}), 0, Progress.NONE));
            assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        }
    }
}
