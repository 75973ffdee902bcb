package org.minitron4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Forward;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * Removing a component equals zeroing it in the original (same logits), for every architecture fixture: llama (GQA,
 * head_dim ≠ hidden/heads, untied), llama_tied (MHA, tied), mistral (GQA 8/2), qwen2 (q/k/v bias, tied), nemotron
 * (LayerNorm1P with bias, relu2, no gate, partial rotary), gpt2 (LayerNorm, learned positions, all biases, tied).
 */
class PrunerExactnessTest {
    static final float TOL = 1e-5f;
    static final PruneOptions IN_MEMORY = PruneOptions.defaults().withRequireCheckpointShapes(false);

    @TempDir
    Path tmp;

    static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], TOL, "logit " + i);
        }
    }

    /** The comparison means something only if pruning changed the model's output. */
    static void assertChanged(float[] original, float[] pruned) {
        double max = 0;
        for (int i = 0; i < original.length; i++) {
            max = Math.max(max, Math.abs(original[i] - pruned[i]));
        }
        assertTrue(max > 1e-4, "pruning changed the logits (max diff " + max + ")");
    }

    static Set<Integer> removed(int n, List<Integer> kept) {
        Set<Integer> r = IntStream.range(0, n).boxed().collect(Collectors.toCollection(HashSet::new));
        r.removeAll(kept);
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void removingMlpNeuronsEqualsZeroingThem(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            int ff = c.intermediateSize(), d = c.hiddenSize();
            PrunePlan plan = PrunePlan.builder().intermediateSize(ff * 5 / 8).build();
            try (PruneResult r = Pruner.prune(m, plan, FixedRanking.random(c, 1))) {
                Map<String, float[]> w = Weights.floats(m);
                for (int l = 0; l < c.numLayers(); l++) {
                    for (int n : removed(ff, r.report().keptNeurons().get(l))) {
                        for (String p : c.gatedMlp() ? List.of(WeightNames.gate(l), WeightNames.up(l)) : List.of(WeightNames.up(l))) {
                            Weights.zeroRow(w.get(p + ".weight"), d, n);
                            if (c.mlpBias()) {
                                w.get(p + ".bias")[n] = 0;
                            }
                        }
                        Weights.zeroColumn(w.get(WeightNames.down(l) + ".weight"), d, ff, n);
                    }
                }
                try (Model zeroed = Weights.build(c, w)) {
                    assertEquals(ff * 5 / 8, r.model().config().intermediateSize());
                    assertChanged(Weights.logits(m), Weights.logits(r.model()));
                    assertClose(Weights.logits(zeroed), Weights.logits(r.model()));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void removingHeadsEqualsZeroingTheirOProjInputColumns(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            int heads = c.numAttentionHeads() / 2; // GQA: half of each group; MHA: half of the groups
            PrunePlan plan = PrunePlan.builder().numAttentionHeads(heads).build();
            try (PruneResult r = Pruner.prune(m, plan, FixedRanking.random(c, 2), IN_MEMORY)) {
                int hd = c.headDim(), cols = c.numAttentionHeads() * hd;
                Map<String, float[]> w = Weights.floats(m);
                for (int l = 0; l < c.numLayers(); l++) {
                    List<Integer> kept = r.report().keptHeads().get(l);
                    assertEquals(heads, kept.size());
                    for (int h : removed(c.numAttentionHeads(), kept)) {
                        for (int x = 0; x < hd; x++) {
                            Weights.zeroColumn(w.get(WeightNames.o(l) + ".weight"), c.hiddenSize(), cols, h * hd + x);
                        }
                    }
                }
                try (Model zeroed = Weights.build(c, w)) {
                    assertChanged(Weights.logits(m), Weights.logits(r.model()));
                    assertClose(Weights.logits(zeroed), Weights.logits(r.model()));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void droppingLayersEqualsSkippingThem(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            int n = c.numLayers();
            double[] scores = new double[n];
            scores[0] = 1; // the top layers by score: layer 0 and the last
            scores[n - 1] = 2;
            try (PruneResult r = Pruner.prune(m, PrunePlan.builder().numLayers(2).build(),
                    FixedRanking.random(c, 3).withLayers(scores))) {
                assertEquals(List.of(0, n - 1), r.report().keptLayers());
                Set<Integer> skipped = removed(n, r.report().keptLayers());
                assertClose(Weights.logits(m, Forward.options().withSkippedLayers(skipped)), Weights.logits(r.model()));
            }
            try (PruneResult r = Pruner.prune(m, PrunePlan.builder().dropLayers(List.of(0)).build(), FixedRanking.random(c, 3))) {
                assertClose(Weights.logits(m, Forward.options().withSkippedLayers(Set.of(0))), Weights.logits(r.model()));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void aPlanThatKeepsEverySizeLeavesLogitsIdentical(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            PrunePlan same = PrunePlan.builder().hiddenSize(c.hiddenSize()).intermediateSize(c.intermediateSize())
                    .numAttentionHeads(c.numAttentionHeads()).numKeyValueHeads(c.numKeyValueHeads()).numLayers(c.numLayers()).build();
            for (PrunePlan plan : List.of(PrunePlan.none(), same)) {
                try (PruneResult r = Pruner.prune(m, plan, FixedRanking.random(c, 4))) {
                    assertEquals(c, r.model().config());
                    assertArrayEquals(Weights.logits(m), Weights.logits(r.model()));
                    assertEquals(Map.of(), r.report().configDiff());
                }
            }
        }
    }

    /** Every axis at once; GPT-2 keeps hidden = heads × head_dim so that it stays savable. */
    static PrunePlan everyAxis(ModelConfig c) {
        PrunePlan.Builder b = PrunePlan.builder().intermediateSize(c.intermediateSize() / 2).numLayers(c.numLayers() - 1);
        if (c.architecture() == ModelConfig.Architecture.GPT2) {
            return b.numAttentionHeads(3).hiddenSize(3 * c.headDim()).build();
        }
        return b.numAttentionHeads(c.numAttentionHeads() / 2).hiddenSize(c.hiddenSize() - 8).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void thePrunedParameterCountIsTheClosedFormOfTheNewConfigAndTheOriginalIsUntouched(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            Map<String, float[]> before = Weights.floats(m);
            float[] logitsBefore = Weights.logits(m);
            PrunePlan plan = everyAxis(c);
            try (PruneResult r = Pruner.prune(m, plan, FixedRanking.random(c, 5), PruneOptions.defaults().withHeadResidualMerge(true))) {
                ModelConfig t = r.model().config();
                assertEquals(plan.targetConfig(c), t);
                assertEquals(t.parameterCount(), r.model().parameterCount());
                assertEquals(t.parameterCount(), r.report().parametersAfter());
                assertEquals(c.parameterCount(), r.report().parametersBefore());
                assertEquals(c.tieWordEmbeddings(), t.tieWordEmbeddings());
                assertEquals(c.headDim(), t.headDim());
                assertNotEquals(Map.of(), r.report().configDiff());
            }
            assertEquals(c, m.config());
            Map<String, float[]> after = Weights.floats(m);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
            assertArrayEquals(logitsBefore, Weights.logits(m));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void aPrunedModelSavedAsACheckpointReloadsWithIdenticalLogits(String arch) {
        try (Model m = Weights.fixture(arch);
             PruneResult r = Pruner.prune(m, everyAxis(m.config()), FixedRanking.random(m.config(), 6))) {
            Checkpoints.save(r.model(), tmp);
            try (Model back = Checkpoints.load(tmp, Device.cpu())) {
                assertEquals(r.model().config(), back.config());
                assertArrayEquals(Weights.logits(r.model()), Weights.logits(back));
            }
        }
    }
}
