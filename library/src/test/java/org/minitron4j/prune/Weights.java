package org.minitron4j.prune;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Forward;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/** Test helpers: weights as plain float arrays, models rebuilt from them, logits as float arrays. */
final class Weights {
    static final Path FIXTURES = Paths.get("src/test/resources/fixtures");
    static final int[][] TOKENS = {{1, 5, 9, 13, 2, 7, 30, 11}, {3, 3, 40, 8, 21, 17, 6, 0}};

    private Weights() {
    }

    static Model fixture(String name) {
        return Checkpoints.load(FIXTURES.resolve(name), Device.cpu());
    }

    static ModelConfig fixtureConfig(String name) {
        return ModelConfig.fromHuggingFace(FIXTURES.resolve(name));
    }

    static Map<String, float[]> floats(Model m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.weights().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    static Model build(ModelConfig c, Map<String, float[]> w) {
        Map<String, ai.djl.ndarray.types.Shape> layout = WeightNames.layout(c);
        try (NDManager tmp = NDManager.newBaseManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            w.forEach((k, v) -> arrays.put(k, tmp.create(v, layout.get(k))));
            return new Model(c, arrays, Device.cpu());
        }
    }

    static float[] logits(Model m) {
        return logits(m, Forward.options());
    }

    static float[] logits(Model m, Forward.Options o) {
        try (NDManager s = NDManager.newBaseManager()) {
            return m.forward(s.create(TOKENS), o).logits().toFloatArray();
        }
    }

    /** Zeroes column {@code col} of a row-major [rows, cols] matrix. */
    static void zeroColumn(float[] w, int rows, int cols, int col) {
        for (int r = 0; r < rows; r++) {
            w[r * cols + col] = 0;
        }
    }

    /** Zeroes row {@code row} of a row-major matrix with {@code cols} columns. */
    static void zeroRow(float[] w, int cols, int row) {
        java.util.Arrays.fill(w, row * cols, (row + 1) * cols, 0f);
    }
}
