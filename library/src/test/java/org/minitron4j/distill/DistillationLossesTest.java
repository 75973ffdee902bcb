package org.minitron4j.distill;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Each loss against an independent double-precision Java formula (values), and its DJL autograd gradient against
 * central finite differences of that formula.
 */
class DistillationLossesTest {
    static final int B = 2, T = 3, V = 7;

    static double[] gaussian(int n, double std, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = std * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        }
        return x;
    }

    static float[] f(double[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = (float) x[i];
        return y;
    }

    static double[] d(float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i];
        return y;
    }

    // ---- reference formulas (double, per token then mean) ----------------------------------------------------

    static double[] softmax(double[] z) {
        double mx = Arrays.stream(z).max().orElseThrow(), sum = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) sum += p[i] = Math.exp(z[i] - mx);
        for (int i = 0; i < z.length; i++) p[i] /= sum;
        return p;
    }

    static double perToken(LogitLoss kind, double[] s, double[] t, double beta) {
        double[] q = softmax(s), p = softmax(t);
        double out = 0;
        switch (kind) {
            case FORWARD_KLD: for (int i = 0; i < s.length; i++) out += p[i] * Math.log(p[i] / q[i]); return out;
            case REVERSE_KLD: for (int i = 0; i < s.length; i++) out += q[i] * Math.log(q[i] / p[i]); return out;
            case JSD: {
                double a = 0, b = 0;
                for (int i = 0; i < s.length; i++) {
                    double m = beta * p[i] + (1 - beta) * q[i];
                    a += p[i] * Math.log(p[i] / m);
                    b += q[i] * Math.log(q[i] / m);
                }
                return beta * a + (1 - beta) * b;
            }
            case TVD: for (int i = 0; i < s.length; i++) out += Math.abs(p[i] - q[i]); return out / 2;
            case MSE: for (int i = 0; i < s.length; i++) out += (s[i] - t[i]) * (s[i] - t[i]); return out;
            case COSINE: {
                double dot = 0, ns = 0, nt = 0;
                for (int i = 0; i < s.length; i++) { dot += s[i] * t[i]; ns += s[i] * s[i]; nt += t[i] * t[i]; }
                return 1 - dot / Math.sqrt(ns * nt);
            }
            default: throw new IllegalArgumentException();
        }
    }

    static double reference(LogitLoss kind, double[] s, double[] t, double tau, boolean squared, double beta, int k) {
        double total = 0;
        for (int r = 0; r < B * T; r++) {
            double[] zs = new double[V], zt = new double[V];
            for (int i = 0; i < V; i++) { zs[i] = s[r * V + i] / tau; zt[i] = t[r * V + i] / tau; }
            if (k > 0) {
                double[] ztf = zt;
                int[] top = IntStream.range(0, V).boxed().sorted(Comparator.comparingDouble(i -> -ztf[i]))
                        .limit(k).mapToInt(Integer::intValue).toArray();
                double[] a = new double[k], b = new double[k];
                for (int j = 0; j < k; j++) { a[j] = zs[top[j]]; b[j] = zt[top[j]]; }
                zs = a;
                zt = b;
            }
            total += perToken(kind, zs, zt, beta);
        }
        return total / (B * T) * (squared ? tau * tau : 1);
    }

    /** Central differences of {@code fn} at {@code x} in double. */
    static double[] numericGradient(Function<double[], Double> fn, double[] x) {
        double h = 1e-5;
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] a = x.clone(), b = x.clone();
            a[i] += h;
            b[i] -= h;
            g[i] = (fn.apply(a) - fn.apply(b)) / (2 * h);
        }
        return g;
    }

    static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }

    void checkLogitLoss(LogitLoss kind, double tau, boolean squared, double beta, int k) {
        double[] s = d(f(gaussian(B * T * V, 2.0, 11))), t = d(f(gaussian(B * T * V, 2.0, 12)));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = m.create(f(s), new Shape(B, T, V));
            student.setRequiresGradient(true);
            NDArray teacher = m.create(f(t), new Shape(B, T, V));
            float value;
            float[] grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = DistillationLosses.logitLoss(kind, student, teacher, tau, squared, beta, k);
                assertEquals(0, loss.getShape().dimension(), "a scalar");
                gc.backward(loss);
                value = loss.getFloat();
                grad = student.getGradient().toFloatArray();
            }
            String what = kind + " τ=" + tau + (squared ? "·τ²" : "") + " k=" + k;
            double expected = reference(kind, s, t, tau, squared, beta, k);
            assertEquals(expected, value, 1e-5 * Math.max(1, Math.abs(expected)), what + " value");
            assertClose(numericGradient(x -> reference(kind, x, t, tau, squared, beta, k), s), grad, 2e-4, what + " grad");
        }
    }

    @Test
    void everyLogitLossMatchesItsFormulaAndFiniteDifferences() {
        for (LogitLoss kind : LogitLoss.values()) {
            if (kind == LogitLoss.NONE) continue;
            checkLogitLoss(kind, 1.0, true, 0.5, 0);
            checkLogitLoss(kind, 2.0, false, 0.5, 0);
            checkLogitLoss(kind, 2.0, true, 0.5, 0);
            checkLogitLoss(kind, 1.5, true, 0.5, 3);
        }
        checkLogitLoss(LogitLoss.JSD, 1.0, true, 0.2, 0);
        checkLogitLoss(LogitLoss.JSD, 0.7, true, 0.9, 4);
    }

    @Test
    void theLogitLossIsSummedOverTheVocabularyAndAveragedOverTokens() {
        // Student uniform, teacher one-hot-ish: per-token forward KL ≈ log V regardless of V; a mean over logits would
        // shrink with V.
        try (NDManager m = NDManager.newBaseManager()) {
            for (int v : new int[] {8, 64}) {
                float[] t = new float[2 * v];
                t[0] = 100;
                t[v + 3] = 100;
                NDArray loss = DistillationLosses.logitLoss(LogitLoss.FORWARD_KLD, m.zeros(new Shape(1, 2, v)),
                        m.create(t, new Shape(1, 2, v)), 1.0, true, 0.5, 0);
                assertEquals(Math.log(v), loss.getFloat(), 1e-4);
            }
        }
    }

    // ---- intermediate states ------------------------------------------------------------------------------------

    static double[] layerNorm(double[] x, int off, int n) {
        double mu = 0, var = 0;
        for (int i = 0; i < n; i++) mu += x[off + i];
        mu /= n;
        for (int i = 0; i < n; i++) var += (x[off + i] - mu) * (x[off + i] - mu);
        var /= n;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = (x[off + i] - mu) / Math.sqrt(var + 1e-5);
        return y;
    }

    /** The pair loss for hs [rows, ds], ht [rows, dt], w [dt, ds] (null = identity), b [dt]. */
    static double hiddenReference(HiddenLoss kind, double[] hs, double[] ht, double[] w, double[] b, int ds, int dt) {
        int rows = ht.length / dt;
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double[] s = layerNorm(hs, r * ds, ds), t = layerNorm(ht, r * dt, dt);
            if (w != null) {
                double[] y = new double[dt];
                for (int o = 0; o < dt; o++) {
                    y[o] = b[o];
                    for (int i = 0; i < ds; i++) y[o] += w[o * ds + i] * s[i];
                }
                s = y;
            }
            if (kind == HiddenLoss.COSINE) {
                total += perToken(LogitLoss.COSINE, s, t, 0);
            } else {
                for (int i = 0; i < dt; i++) total += (s[i] - t[i]) * (s[i] - t[i]) / dt;
            }
        }
        return total / rows;
    }

    void checkHidden(HiddenLoss kind, int ds, int dt) {
        double[] hs = d(f(gaussian(B * T * ds, 1.5, 21))), ht = d(f(gaussian(B * T * dt, 1.5, 22)));
        boolean projected = ds != dt;
        double[] w = projected ? d(f(gaussian(dt * ds, 0.5, 23))) : null, b = projected ? d(f(gaussian(dt, 0.3, 24))) : null;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(f(hs), new Shape(B, T, ds));
            NDArray t = m.create(f(ht), new Shape(B, T, dt));
            NDArray wa = projected ? m.create(f(w), new Shape(dt, ds)) : null, ba = projected ? m.create(f(b), new Shape(dt)) : null;
            s.setRequiresGradient(true);
            if (projected) {
                wa.setRequiresGradient(true);
                ba.setRequiresGradient(true);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = DistillationLosses.hiddenLoss(kind, s, t, wa, ba);
                gc.backward(loss);
                String what = kind + " " + ds + "→" + dt;
                double expected = hiddenReference(kind, hs, ht, w, b, ds, dt);
                assertEquals(expected, loss.getFloat(), 1e-5 * Math.max(1, expected), what + " value");
                assertClose(numericGradient(x -> hiddenReference(kind, x, ht, w, b, ds, dt), hs), s.getGradient().toFloatArray(),
                        5e-4, what + " d/dh_student");
                if (projected) {
                    assertClose(numericGradient(x -> hiddenReference(kind, hs, ht, x, b, ds, dt), w), wa.getGradient().toFloatArray(),
                            5e-4, what + " d/dW");
                    assertClose(numericGradient(x -> hiddenReference(kind, hs, ht, w, x, ds, dt), b), ba.getGradient().toFloatArray(),
                            5e-4, what + " d/db");
                }
            }
        }
    }

    @Test
    void intermediateLossesAndTheProjectionMatchTheirFormulasAndFiniteDifferences() {
        for (HiddenLoss kind : HiddenLoss.values()) {
            checkHidden(kind, 4, 6); // projected
            checkHidden(kind, 5, 5); // identity
        }
    }
}
