package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;
import tech.tablesaw.api.Table;

class ImportanceScoresTest {
    /** Multi-head (kv = heads) so a head's v rows belong to it alone: 2 layers, hidden 32, ffn 48, 4 heads of 8. */
    static final ModelConfig MHA = ModelConfig.llama(64, 32, 48, 2, 4, 4);

    static Set<Integer> top(double[] scores, int k) {
        return Arrays.stream(ImportanceScores.descending(scores)).limit(k).boxed().collect(Collectors.toSet());
    }

    @Test
    void plantedHeadsAndNeuronsAreOnTopUnderEveryAggregationAndVariant() {
        int hd = MHA.headDim(), d = MHA.hiddenSize();
        int[][] heads = {{1}, {0, 3}};
        int[][] neurons = {{5, 17}, {40}};
        try (Model random = Model.random(MHA, Device.cpu(), 12);
             Model model = TestModels.edit(random, (name, w) -> {
                 for (int l = 0; l < 2; l++) {
                     for (int h : heads[l]) {
                         // head output ×100, o_proj input columns ÷100: the residual stream is unchanged
                         if (name.equals(WeightNames.v(l) + ".weight")) TestModels.scaleRows(w, d, h * hd, h * hd + hd, 100f);
                         if (name.equals(WeightNames.o(l) + ".weight")) {
                             for (int j = 0; j < hd; j++) TestModels.scaleColumn(w, MHA.numAttentionHeads() * hd, h * hd + j, 0.01f);
                         }
                     }
                     for (int n : neurons[l]) {
                         if (name.equals(WeightNames.gate(l) + ".weight") || name.equals(WeightNames.up(l) + ".weight")) {
                             TestModels.scaleRows(w, d, n, n + 1, 30f);
                         }
                         if (name.equals(WeightNames.down(l) + ".weight")) TestModels.scaleColumn(w, MHA.intermediateSize(), n, 1f / 900);
                     }
                 }
             })) {
            ActivationStats stats = Calibration.run(model, TestModels.windows(8, 16, MHA.vocabSize(), 5), 4, Progress.NONE);
            for (Aggregation agg : Aggregation.all()) {
                for (MlpVariant v : MlpVariant.values()) {
                    ImportanceScores s = stats.scores(agg, v);
                    for (int l = 0; l < 2; l++) {
                        Set<Integer> wantHeads = Arrays.stream(heads[l]).boxed().collect(Collectors.toSet());
                        Set<Integer> wantNeurons = Arrays.stream(neurons[l]).boxed().collect(Collectors.toSet());
                        assertEquals(wantHeads, top(s.headScores(l), heads[l].length), agg + " " + v + " heads of layer " + l);
                        assertEquals(wantNeurons, top(s.neuronScores(l), neurons[l].length), agg + " " + v + " neurons of layer " + l);
                    }
                }
            }
        }
    }

    @Test
    void plantedEmbeddingChannelsAreOnTopUnderEveryAggregation() {
        int d = MHA.hiddenSize();
        try (Model random = Model.random(MHA, Device.cpu(), 13);
             Model model = TestModels.edit(random, (name, w) -> {
                 if (name.equals(WeightNames.EMBED)) {
                     TestModels.scaleColumn(w, d, 3, 100f);
                     TestModels.scaleColumn(w, d, 20, 100f);
                 }
             })) {
            ActivationStats stats = Calibration.run(model, TestModels.windows(8, 16, MHA.vocabSize(), 6), 4, Progress.NONE);
            for (Aggregation agg : Aggregation.all()) {
                assertEquals(Set.of(3, 20), top(stats.scores(agg, MlpVariant.PAPER).channelScores(), 2), agg.toString());
            }
        }
    }

    static ImportanceScores handMade(ModelConfig c, double[] heads) {
        double[][] h = new double[c.numLayers()][], n = new double[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            h[l] = heads.clone();
            n[l] = IntStream.range(0, c.intermediateSize()).mapToDouble(i -> i % 7).toArray();
        }
        double[] ch = IntStream.range(0, c.hiddenSize()).mapToDouble(i -> -i).toArray();
        double[] layers = IntStream.range(0, c.numLayers()).mapToDouble(i -> i * 0.5).toArray();
        return new ImportanceScores(c, Aggregation.PAPER, MlpVariant.MODELOPT, h, n, ch, layers);
    }

    @Test
    void gqaHeadsAreOrderedWithinTheirKvGroup() {
        ModelConfig c = ModelConfig.llama(64, 48, 48, 2, 6, 2); // groups {0,1,2}, {3,4,5}
        ImportanceScores s = handMade(c, new double[] {0.1, 0.9, 0.5, 0.7, 0.8, 0.2});
        int[][] order = s.headOrderWithinGroups(1);
        assertArrayEquals(new int[] {1, 2, 0}, order[0]);
        assertArrayEquals(new int[] {4, 3, 5}, order[1]);
        assertArrayEquals(new int[] {1, 4, 3, 2, 5, 0}, ImportanceScores.descending(s.headScores(0)));
        assertArrayEquals(new int[] {0, 2, 1}, ImportanceScores.descending(new double[] {3, 1, 3}), "ties: lower index first");
    }

    @Test
    void scoresAreATableThatSavesAndReloads(@TempDir Path dir) {
        ModelConfig c = ModelConfig.llama(64, 32, 48, 2, 4, 2);
        ImportanceScores s = handMade(c, new double[] {4, 3, 2, 1});
        Table t = s.table();
        assertEquals(List.of("layer", "component", "index", "score", "aggregation"), t.columnNames());
        assertEquals(2 * 4 + 2 * 48 + 32 + 2, t.rowCount());
        assertEquals(Set.of("head", "neuron_modelopt", "channel", "layer_bi"), Set.copyOf(t.stringColumn("component").asList()));
        s.save(dir);
        ImportanceScores back = ImportanceScores.load(dir);
        assertEquals(c, back.config());
        assertEquals(Aggregation.PAPER, back.aggregation());
        assertEquals(MlpVariant.MODELOPT, back.variant());
        for (int l = 0; l < 2; l++) {
            assertArrayEquals(s.headScores(l), back.headScores(l));
            assertArrayEquals(s.neuronScores(l), back.neuronScores(l));
        }
        assertArrayEquals(s.channelScores(), back.channelScores());
        assertArrayEquals(s.layerScores(), back.layerScores());
    }

    @Test
    void shapesAreValidatedAndCopiesProtectTheScores() {
        ModelConfig c = ModelConfig.llama(64, 32, 48, 2, 4, 2);
        ImportanceScores s = handMade(c, new double[] {4, 3, 2, 1});
        s.headScores(0)[0] = 100;
        assertEquals(4, s.headScores(0)[0]);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.withLayerScores(new double[3]));
        assertTrue(e.getMessage().contains("3 values"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> s.headScores(2));
        assertEquals(Aggregation.PAPER, Aggregation.of("L2", "mean"));
        assertEquals(Aggregation.of("var", "l2"), Aggregation.parseLabel("batch=var,seq=l2"));
        e = assertThrows(InvalidInputException.class, () -> Aggregation.of("max", "mean"));
        assertTrue(e.getMessage().contains("'max'"), e.getMessage());
    }
}
