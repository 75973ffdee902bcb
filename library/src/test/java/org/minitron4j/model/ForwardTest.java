package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ForwardTest {
    static final ModelConfig GQA = ModelConfig.llama(50, 32, 64, 2, 4, 2);

    static NDArray ids(NDManager m, int[][] rows) {
        return m.create(rows);
    }

    static float maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void logitsHaveBatchTimeVocabShapeAndTheForwardLeavesNothingInTheModelsManager() {
        try (Model model = Model.random(GQA, Device.cpu(), 1); NDManager scope = NDManager.newBaseManager()) {
            int before = ((BaseNDManager) model.manager()).getManagedArrays().size();
            NDArray logits = model.logits(ids(scope, new int[][] {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}}));
            assertEquals(new Shape(2, 5, 50), logits.getShape());
            int after = ((BaseNDManager) model.manager()).getManagedArrays().size();
            assertTrue(after <= before + 2, "forward leaked arrays into the model's manager: " + before + " -> " + after);
        }
    }

    @Test
    void gqaModelEqualsItsMultiHeadExpansion() {
        try (Model gqa = Model.random(GQA, Device.cpu(), 2); NDManager scope = NDManager.newBaseManager()) {
            // Expand each KV head to the query heads of its group: kv head j serves query heads j*g .. j*g+g-1.
            ModelConfig mhaConfig = GQA.withHeads(4, 4);
            Map<String, NDArray> w = new LinkedHashMap<>(gqa.weights());
            int g = GQA.groupSize(), hd = GQA.headDim();
            for (int l = 0; l < GQA.numLayers(); l++) {
                for (String p : new String[] {WeightNames.k(l), WeightNames.v(l)}) {
                    NDArray kv = gqa.weight(p + ".weight"); // (kv·hd, d)
                    NDArray[] heads = new NDArray[GQA.numAttentionHeads()];
                    for (int h = 0; h < heads.length; h++) {
                        int j = h / g;
                        heads[h] = kv.get(new NDIndex("{}:{}", j * hd, (j + 1) * hd));
                    }
                    w.put(p + ".weight", ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(heads), 0));
                }
            }
            Map<String, NDArray> copies = new LinkedHashMap<>();
            w.forEach((k, v) -> copies.put(k, v.duplicate()));
            try (Model mha = new Model(mhaConfig, copies, Device.cpu())) {
                NDArray x = ids(scope, new int[][] {{3, 1, 4, 1, 5, 9, 2, 6}});
                assertTrue(maxAbsDiff(gqa.logits(x), mha.logits(x)) < 1e-5f);
            }
        }
    }

    @Test
    void incrementalDecodingWithTheKvCacheEqualsTheFullForward() {
        try (Model model = Model.random(GQA, Device.cpu(), 3); NDManager scope = NDManager.newBaseManager()) {
            int[] seq = {5, 8, 13, 21, 34, 7, 11};
            NDArray full = model.logits(ids(scope, new int[][] {seq}));
            try (KvCache cache = new KvCache(scope, GQA.numLayers())) {
                Forward.Options o = Forward.options().withCache(cache);
                NDArray first = model.forward(ids(scope, new int[][] {{5, 8, 13}}), o).logits();
                assertTrue(maxAbsDiff(first, full.get(":, 0:3, :")) < 1e-5f);
                for (int i = 3; i < seq.length; i++) {
                    NDArray step = model.forward(ids(scope, new int[][] {{seq[i]}}), o).logits();
                    assertTrue(maxAbsDiff(step, full.get(new NDIndex(":, {}:{}, :", i, i + 1))) < 1e-5f, "position " + i);
                }
                assertEquals(seq.length, cache.length());
            }
        }
    }

    @Test
    void skippingALayerEqualsAModelWithoutIt() {
        try (Model model = Model.random(GQA.withNumLayers(3), Device.cpu(), 4); NDManager scope = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
                String k = e.getKey();
                if (k.startsWith(WeightNames.layer(1))) {
                    continue;
                }
                w.put(k.replace(WeightNames.layer(2), WeightNames.layer(1)), e.getValue().duplicate());
            }
            try (Model twoLayers = new Model(GQA.withNumLayers(2), w, Device.cpu())) {
                NDArray x = ids(scope, new int[][] {{1, 2, 3, 4}});
                NDArray skipped = model.forward(x, Forward.options().withSkippedLayers(Set.of(1))).logits();
                assertEquals(0f, maxAbsDiff(skipped, twoLayers.logits(x)), 1e-6f);
            }
        }
    }

    @Test
    void captureRecordsEachSiteWithItsShapeAndTheResidualIdentityHolds() {
        try (Model model = Model.random(GQA, Device.cpu(), 5); NDManager scope = NDManager.newBaseManager()) {
            Forward f = model.forward(ids(scope, new int[][] {{1, 2, 3}, {4, 5, 6}}),
                    Forward.options().withCapture(Capture.of(Site.values())));
            Activations a = f.activations();
            assertEquals(new Shape(2, 3, 32), a.get(Site.BLOCK_INPUT, 0).getShape());
            assertEquals(new Shape(2, 3, 4 * 8), a.get(Site.HEAD_OUTPUT, 1).getShape());
            assertEquals(new Shape(2, 3, 64), a.get(Site.MLP_POST_ACT, 1).getShape());
            assertArrayEquals(a.get(Site.BLOCK_OUTPUT, 0).toFloatArray(), a.get(Site.BLOCK_INPUT, 1).toFloatArray());
            assertArrayEquals(f.hidden().toFloatArray(), a.get(Site.FINAL_NORM, 2).toFloatArray());
            assertTrue(model.forward(ids(scope, new int[][] {{1}}), Forward.options()).activations().all().isEmpty());
        }
    }

    /** The wanted tokens' rows of a full pass's [B, T, …] output: [B, Q, …]. */
    private static float[] rowsOf(NDArray full, int[][] columns) {
        long b = full.getShape().get(0), t = full.getShape().get(1), w = full.getShape().get(2);
        float[] all = full.toFloatArray();
        float[] out = new float[(int) (b * columns[0].length * w)];
        int k = 0;
        for (int r = 0; r < b; r++) {
            for (int c : columns[r]) {
                System.arraycopy(all, (int) ((r * t + c) * w), out, k, (int) w);
                k += (int) w;
            }
        }
        return out;
    }

    /**
     * Only the wanted outputs (the last computed layer runs its queries, attention output and MLP on those tokens
     * alone) give the full pass's hidden states and logits there: plain rows, packed rows, the last layer skipped, and
     * every layer skipped.
     */
    @Test
    void onlyTheWantedOutputsEqualTheFullPassThere() {
        int[][] rows = {{3, 9, 4, 1, 5, 9, 2}, {6, 5, 3, 5, 8, 9, 7}};
        int[][] columns = {{6, 2, 0}, {3, 3, 5}};
        // row 0: a prefix of 3 tokens, then branches of 2 and 2; row 1: plain (one branch)
        PackedRows packing = new PackedRows(new int[][] {{0, 1, 2, 3, 4, 3, 4}, {0, 1, 2, 3, 4, 5, 6}},
                new int[][] {{0, 0, 0, 1, 1, 2, 2}, {0, 0, 0, 0, 0, 0, 0}});
        try (Model model = Model.random(GQA, Device.cpu(), 5); NDManager scope = NDManager.newBaseManager()) {
            for (PackedRows p : new PackedRows[] {null, packing}) {
                for (Set<Integer> skip : List.of(Set.<Integer>of(), Set.of(1), Set.of(0, 1))) {
                    Forward.Options o = Forward.options().withSkippedLayers(skip).withPacking(p);
                    Forward full = model.forward(ids(scope, rows), o);
                    Forward only = model.forward(ids(scope, rows), o.withOutputsAt(columns));
                    String what = (p == null ? "plain" : "packed") + ", skipping " + skip;
                    assertEquals(new Shape(2, 3, GQA.hiddenSize()), only.hidden().getShape(), what);
                    float[] want = rowsOf(full.hidden(), columns), got = only.hidden().toFloatArray();
                    float[] wantLogits = rowsOf(full.logits(), columns), gotLogits = only.logits().toFloatArray();
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-5, what + ": hidden " + i);
                    }
                    for (int i = 0; i < wantLogits.length; i++) {
                        assertEquals(wantLogits[i], gotLogits[i], 1e-5, what + ": logit " + i);
                    }
                }
            }
            assertEquals("selected outputs take no KV cache and no captures", assertThrows(IllegalArgumentException.class,
                    () -> Forward.options().withCapture(Capture.of(Site.MLP_NORM)).withOutputsAt(columns)).getMessage());
            assertEquals("output column 7 outside a row of 7 tokens", assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ids(scope, rows), Forward.options().withOutputsAt(new int[][] {{7}, {0}}))).getMessage());
            assertEquals("output columns: row 0 has 2, row 1 1", assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ids(scope, rows), Forward.options().withOutputsAt(new int[][] {{1, 2}, {0}}))).getMessage());
        }
    }

    /**
     * Without autograd a pass computes in its own temporaries (norm gains, SiLU, RoPE and the residual adds in place);
     * it gives the bits of the pass with autograd on every fixture architecture: logits, captures and the
     * wanted-outputs pass alike.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void inferenceGivesTheBitsOfThePassWithAutograd(String fixture) throws java.io.IOException {
        java.nio.file.Path dir = ReferenceParityTest.FIXTURES.resolve(fixture);
        try (Model model = Checkpoints.load(dir, Device.cpu()); NDManager scope = NDManager.newBaseManager()) {
            int v = model.config().vocabSize();
            int[][] rows = new int[4][40]; // 160 tokens: enough to fuse
            java.util.SplittableRandom r = new java.util.SplittableRandom(9);
            for (int[] row : rows) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = r.nextInt(v);
                }
            }
            Capture cap = Capture.of(Site.MLP_POST_ACT, Site.BLOCK_OUTPUT);
            int[][] columns = {{39, 3}, {0, 1}, {20, 20}, {5, 38}};
            for (Forward.Options o : List.of(Forward.options(), Forward.options().withCapture(cap),
                    Forward.options().withOutputsAt(columns))) {
                float[] logits, hidden;
                Map<String, float[]> caps = new LinkedHashMap<>();
                try (Autograd g = Autograd.enter()) {
                    Forward f = model.forward(ids(scope, rows), o);
                    logits = f.logits().toFloatArray();
                    hidden = f.hidden().toFloatArray();
                    f.activations().all().forEach((k, a) -> caps.put(k.toString(), a.toFloatArray()));
                }
                try (NoGrad g = NoGrad.enter()) {
                    Forward f = model.forward(ids(scope, rows), o);
                    assertArrayEquals(logits, f.logits().toFloatArray(), fixture + ": logits");
                    assertArrayEquals(hidden, f.hidden().toFloatArray(), fixture + ": hidden");
                    f.activations().all().forEach((k, a) -> assertArrayEquals(caps.get(k.toString()), a.toFloatArray(), fixture + ": " + k));
                }
            }
        }
    }
}
