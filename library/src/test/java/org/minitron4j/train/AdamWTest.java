package org.minitron4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.minitron4j.model.NoGrad;

/** AdamW's chunked update against the same arithmetic written out element by element in Java floats; the global norm. */
class AdamWTest {
    private static final double B1 = 0.9, B2 = 0.95, EPS = 1e-8, WD = 0.1, LR = 3e-3;
    // a matrix, a vector, a matrix larger than a chunk, two small ones that share a chunk
    private static final Shape[] SHAPES = {new Shape(5, 7), new Shape(7), new Shape(13, 11), new Shape(3, 2), new Shape(4)};

    @Test
    void everyChunkSizeGivesTheBitsOfTheUpdateWrittenOutInFloats() {
        float[][] expected = reference();
        for (long chunk : new long[] {1, 16, 40, 50, 1000}) {
            assertArrayEquals(expected, updated(chunk), "chunks of " + chunk);
        }
    }

    @Test
    void theGlobalNormIsTheEuclideanNormOfAllGradientsAndInfiniteWhenOneIsNot() {
        try (NDManager m = NDManager.newBaseManager(); NoGrad g = NoGrad.enter()) {
            Map<String, NDArray> grads = arrays(m, 2, 0);
            double norm = javaNorm(grads);
            assertEquals(norm, Trainer.globalNorm(new ArrayList<>(grads.values())), 1e-6 * norm);
            // float32 squares of 1e32 would overflow; each tensor's are taken after scaling by its largest magnitude
            grads.get("p3").muli(1e32f);
            double big = javaNorm(grads);
            assertEquals(true, big > 1e29 && Double.isFinite(big), "norm " + big);
            assertEquals(big, Trainer.globalNorm(new ArrayList<>(grads.values())), 1e-6 * big);
            grads.get("p1").set(new ai.djl.ndarray.index.NDIndex("2"), Float.NaN);
            assertEquals(Double.POSITIVE_INFINITY, Trainer.globalNorm(new ArrayList<>(grads.values())));
            grads.get("p1").set(new ai.djl.ndarray.index.NDIndex("2"), Float.POSITIVE_INFINITY);
            assertEquals(Double.POSITIVE_INFINITY, Trainer.globalNorm(new ArrayList<>(grads.values())));
        }
    }

    /** Three steps (the second with clipping's scale) through the optimizer, chunked as asked. */
    private static float[][] updated(long chunk) {
        try (NDManager m = NDManager.newBaseManager(); NoGrad g = NoGrad.enter()) {
            Map<String, NDArray> params = arrays(m, 1, 0);
            try (AdamW adam = new AdamW(m, params, B1, B2, EPS, WD, chunk)) {
                for (int step = 1; step <= 3; step++) {
                    try (NDManager scope = m.newSubManager()) {
                        Map<String, NDArray> grads = arrays(scope, 2, step);
                        adam.step(params, grads, scale(step), LR, scope);
                    }
                }
            }
            float[][] out = new float[SHAPES.length][];
            for (int i = 0; i < SHAPES.length; i++) {
                out[i] = params.get("p" + i).toFloatArray();
            }
            return out;
        }
    }

    /** The same three steps in Java floats, one IEEE operation per array operation of {@link AdamW#step}. */
    private static float[][] reference() {
        float[][] w = values(1, 0);
        float[][] mo = new float[w.length][], ve = new float[w.length][];
        for (int i = 0; i < w.length; i++) {
            mo[i] = new float[w[i].length];
            ve[i] = new float[w[i].length];
        }
        for (int step = 1; step <= 3; step++) {
            float[][] g = values(2, step);
            double bc1 = 1 - Math.pow(B1, step), bc2 = 1 - Math.pow(B2, step);
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < w[i].length; j++) {
                    float gs = scale(step) != 1 ? g[i][j] * (float) scale(step) : g[i][j];
                    mo[i][j] = mo[i][j] * (float) B1 + gs * (float) (1 - B1);
                    ve[i][j] = ve[i][j] * (float) B2 + (gs * gs) * (float) (1 - B2);
                    float denom = (float) Math.sqrt(ve[i][j] / (float) bc2) + (float) EPS;
                    float update = mo[i][j] / denom * (float) (LR / bc1);
                    if (SHAPES[i].dimension() >= 2) {
                        w[i][j] *= (float) (1 - LR * WD);
                    }
                    w[i][j] -= update;
                }
            }
        }
        return w;
    }

    private static double javaNorm(Map<String, NDArray> grads) {
        double sq = 0;
        for (NDArray a : grads.values()) {
            for (float x : a.toFloatArray()) {
                sq += (double) x * x;
            }
        }
        return Math.sqrt(sq);
    }

    private static double scale(int step) {
        return step == 2 ? 0.37 : 1;
    }

    private static Map<String, NDArray> arrays(NDManager m, int seed, int step) {
        float[][] v = values(seed, step);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < SHAPES.length; i++) {
            out.put("p" + i, m.create(v[i], SHAPES[i]));
        }
        return out;
    }

    private static float[][] values(int seed, int step) {
        SplittableRandom r = new SplittableRandom(seed * 1000L + step);
        float[][] out = new float[SHAPES.length][];
        for (int i = 0; i < SHAPES.length; i++) {
            out[i] = new float[(int) SHAPES[i].size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = (float) (r.nextGaussian() * (seed == 1 ? 0.5 : 1e-2));
            }
        }
        return out;
    }
}
