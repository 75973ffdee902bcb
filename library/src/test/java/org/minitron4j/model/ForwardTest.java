package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
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
}
