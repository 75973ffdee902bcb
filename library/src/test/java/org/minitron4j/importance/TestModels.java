package org.minitron4j.importance;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/** Tiny models with edited weights and random calibration windows for the importance tests. */
final class TestModels {
    private TestModels() {
    }

    /** 3 layers, hidden 32, ffn 48, 4 query heads in 2 KV groups of head_dim 8, vocab 64. */
    static final ModelConfig GQA = ModelConfig.llama(64, 32, 48, 3, 4, 2);

    /** A copy of {@code m} whose weights {@code editor} changed in place (name, row-major data). */
    static Model edit(Model m, BiConsumer<String, float[]> editor) {
        try (NDManager tmp = NDManager.newBaseManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : m.weights().entrySet()) {
                float[] d = e.getValue().toFloatArray();
                editor.accept(e.getKey(), d);
                w.put(e.getKey(), tmp.create(d, e.getValue().getShape()));
            }
            return new Model(m.config(), w, Device.cpu());
        }
    }

    /** Scales rows [from, to) of a row-major [rows, cols] matrix. */
    static void scaleRows(float[] w, int cols, int from, int to, float f) {
        for (int i = from * cols; i < to * cols; i++) {
            w[i] *= f;
        }
    }

    /** Scales column c of a row-major matrix with {@code cols} columns. */
    static void scaleColumn(float[] w, int cols, int c, float f) {
        for (int i = c; i < w.length; i += cols) {
            w[i] *= f;
        }
    }

    /** A model without layer {@code drop}: later layers renumbered. */
    static Model withoutLayer(Model m, int drop) {
        Map<String, NDArray> w = new LinkedHashMap<>();
        try (NDManager tmp = NDManager.newBaseManager()) {
            for (Map.Entry<String, NDArray> e : m.weights().entrySet()) {
                String k = e.getKey();
                if (k.startsWith(WeightNames.layer(drop))) {
                    continue;
                }
                for (int l = drop + 1; l < m.config().numLayers(); l++) {
                    if (k.startsWith(WeightNames.layer(l))) {
                        k = WeightNames.layer(l - 1) + k.substring(WeightNames.layer(l).length());
                        break;
                    }
                }
                NDArray c = e.getValue().duplicate();
                c.attach(tmp);
                w.put(k, c);
            }
            return new Model(m.config().withNumLayers(m.config().numLayers() - 1), w, Device.cpu());
        }
    }

    /** {@code n} windows of {@code t} uniform random tokens below {@code vocab}. */
    static List<int[]> windows(int n, int t, int vocab, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(rng.ints(t, 0, vocab).toArray());
        }
        return out;
    }
}
