package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding in Hugging Face's rotate-half convention, with partial rotation (Nemotron) and Llama-3.1
 * frequency scaling. Cos/sin tables are computed in double once and cached on the model's device, grown on demand.
 */
final class Rope {
    private final int rotaryDim;
    private final double[] invFreq;
    private final NDManager manager;
    private NDArray cos; // [positions, 1, rotaryDim]
    private NDArray sinSigned; // [positions, 1, rotaryDim]: (-sin, +sin) halves, so rotate_half becomes a swap
    private long cached;

    Rope(ModelConfig c, NDManager manager) {
        this.rotaryDim = c.rotaryDim();
        this.manager = manager;
        this.invFreq = inverseFrequencies(c);
    }

    /** inv_freq[i] = θ^(-2i/rot), then the llama3 band-wise rescaling when configured. */
    static double[] inverseFrequencies(ModelConfig c) {
        int half = c.rotaryDim() / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.rotaryDim());
        }
        ModelConfig.RopeScaling s = c.ropeScaling();
        if (s != null) {
            double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
            double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
            for (int i = 0; i < half; i++) {
                double wavelen = 2 * Math.PI / inv[i];
                if (wavelen > lowWavelen) {
                    inv[i] = inv[i] / s.factor();
                } else if (wavelen >= highWavelen) {
                    double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                            / (s.highFreqFactor() - s.lowFreqFactor());
                    inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
                }
            }
        }
        return inv;
    }

    private synchronized void ensure(long positions) {
        if (positions <= cached) {
            return;
        }
        long n = Math.max(positions, Math.max(64, cached * 2));
        int half = rotaryDim / 2;
        float[] c = new float[Math.toIntExact(n * rotaryDim)];
        float[] s = new float[c.length];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                float cv = (float) Math.cos(angle), sv = (float) Math.sin(angle);
                int base = p * rotaryDim;
                c[base + i] = cv;
                c[base + half + i] = cv;
                s[base + i] = -sv;
                s[base + half + i] = sv;
            }
        }
        if (cos != null) {
            cos.close();
            sinSigned.close();
        }
        cos = manager.create(c, new Shape(n, 1, rotaryDim));
        sinSigned = manager.create(s, new Shape(n, 1, rotaryDim));
        NDScope.unregister(cos, sinSigned); // cached for the model's lifetime, not a forward pass's temporaries
        cached = n;
    }

    /**
     * Rotates the first rotaryDim channels of each head of {@code x} [B, T, heads, head_dim] at the layout's positions
     * (past..past+T-1, or each token's own); the result belongs to x's manager. {@code inference}: no backward pass
     * will read the temporaries, so they may be overwritten.
     */
    NDArray apply(NDArray x, AttentionLayout layout, boolean inference) {
        long t = x.getShape().get(1), past = layout.past();
        long headDim = x.getShape().get(3);
        ensure(layout.length());
        // (T, 1, rot) for plain sequences, (B, T, 1, rot) gathered for packed rows
        NDIndex rows = layout.positions() == null ? new NDIndex("{}:{}", past, past + t) : new NDIndex("{}", layout.positions());
        NDArray c = cos.get(rows);
        NDArray s = sinSigned.get(rows);
        c.attach(x.getManager());
        s.attach(x.getManager());
        int half = rotaryDim / 2;
        NDArray rot = rotaryDim == headDim ? x : x.get("..., :{}", rotaryDim);
        // rotate_half(x) * sin == swap_halves(x) * (-sin, +sin); the halves are swapped by flipping the axis of size 2
        // of [B, T, heads, 2, half] (one copy, whose backward is a flip too: no slices and concatenation)
        Shape shape = rot.getShape();
        NDArray swapped = rot.reshape(shape.get(0), shape.get(1), shape.get(2), 2, half).flip(3).reshape(shape);
        // into the temporaries themselves (the same sums and products): the sum into rot·c, which no backward step
        // reads, and without autograd the product into the swapped copy too
        NDArray out = rot.mul(c).addi(inference ? swapped.muli(s) : swapped.mul(s));
        return rotaryDim == headDim ? out : out.concat(x.get("..., {}:", rotaryDim), 3);
    }
}
