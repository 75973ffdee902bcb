package org.minitron4j.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Batches;
import org.minitron4j.data.TokenSource;
import org.minitron4j.model.Activations;
import org.minitron4j.model.Capture;
import org.minitron4j.model.Forward;
import org.minitron4j.model.Model;
import org.minitron4j.model.Site;

/**
 * The one calibration pass of importance estimation: forward only (no logits, no gradients), batched, every batch in
 * its own NDManager scope. Each captured activation is reduced over the sequence axis on the device (in float64) and
 * read out once per site and batch; the Java side only adds per-sample values into {@link ActivationStats}.
 */
public final class Calibration {
    /** Default number of bootstrap blocks (fewer when there are fewer samples). */
    public static final int DEFAULT_BLOCKS = 32;

    private static final Capture CAPTURE = Capture.of(Site.HEAD_OUTPUT, Site.MLP_PRE_ACT, Site.MLP_POST_ACT,
            Site.ATTN_NORM, Site.MLP_NORM, Site.BLOCK_INPUT, Site.BLOCK_OUTPUT);

    private Calibration() {
    }

    /**
     * {@code samples} windows of {@code seqLen} tokens at seeded random starts of {@code tokens} (the first seqLen tokens
     * of {@link Batches#sample}'s windows, so the same seed gives the same windows as training batches would).
     */
    public static List<int[]> windows(int[] tokens, int samples, int seqLen, long seed) {
        if (samples < 1) {
            throw new InvalidInputException("--samples must be at least 1, got " + samples);
        }
        List<int[]> out = new ArrayList<>(samples);
        for (int[] w : Batches.sample(tokens, seqLen, samples, seed)) {
            out.add(Arrays.copyOf(w, seqLen));
        }
        return out;
    }

    /** Calibrates on {@code samples} seeded windows of {@code seqLen} tokens drawn from {@code tokens}. */
    public static ActivationStats run(Model model, int[] tokens, int samples, int seqLen, long seed, int batchSize,
                                      Progress progress) {
        List<int[]> w = windows(tokens, samples, seqLen, seed);
        return run(model, w, batchSize, Math.min(samples, DEFAULT_BLOCKS), seed, progress);
    }

    /** Calibrates on the given windows (all of one length), in {@link #DEFAULT_BLOCKS} bootstrap blocks at most. */
    public static ActivationStats run(Model model, List<int[]> windows, int batchSize, Progress progress) {
        return run(model, windows, batchSize, Math.min(windows.size(), DEFAULT_BLOCKS), null, progress);
    }

    /**
     * Calibrates on the given windows (all of one length), keeping statistics in {@code blocks} blocks of consecutive
     * samples ({@code blocks = windows.size()} keeps per-sample statistics: an exact bootstrap, more memory).
     */
    public static ActivationStats run(Model model, List<int[]> windows, int batchSize, int blocks, Progress progress) {
        return run(model, windows, batchSize, blocks, null, progress);
    }

    private static ActivationStats run(Model model, List<int[]> windows, int batchSize, int blocks, Long seed,
                                       Progress progress) {
        int n = windows.size();
        if (n == 0) {
            throw new InvalidInputException("calibration needs at least one sample");
        }
        if (batchSize < 1) {
            throw new InvalidInputException("--batch-size must be at least 1, got " + batchSize);
        }
        if (blocks < 1 || blocks > n) {
            throw new InvalidInputException("blocks must be between 1 and the " + n + " samples, got " + blocks);
        }
        int t = windows.get(0).length;
        for (int i = 0; i < n; i++) {
            if (windows.get(i).length != t || t == 0) {
                throw new InvalidInputException("calibration samples must all have the same non-zero length: sample 0 has "
                        + t + " tokens, sample " + i + " has " + windows.get(i).length);
            }
            TokenSource.checkVocab(windows.get(i), model.config().vocabSize(), "calibration sample " + i);
        }
        int layers = model.config().numLayers();
        ActivationStats stats = ActivationStats.empty(model.config(), new ActivationStats.Settings(n, t, seed, batchSize),
                blocks);
        Forward.Options options = Forward.options().withCapture(CAPTURE).withoutLogits();
        long started = System.nanoTime();
        for (int start = 0; start < n; start += batchSize) {
            int b = Math.min(batchSize, n - start);
            int[] blockOf = new int[b];
            int[][] ids = new int[b][];
            for (int i = 0; i < b; i++) {
                blockOf[i] = (int) ((long) (start + i) * blocks / n);
                ids[i] = windows.get(start + i);
            }
            try (NDManager scope = model.manager().newSubManager()) {
                Activations acts = model.forward(scope.create(ids), options).activations();
                for (int l = 0; l < layers; l++) {
                    for (Site site : ActivationStats.SITES) {
                        NDArray a = acts.get(site, l);
                        stats.addChannels(site, l, sequenceReductions(a), b, t, blockOf);
                        a.close(); // its memory serves the next activations
                    }
                }
                stats.addCosines(cosineSums(acts, layers), b, t, blockOf);
            }
            double secs = (System.nanoTime() - started) / 1e9;
            progress.update("calibration", start + b, n, String.format(Locale.ROOT, "%.1f samples/s", (start + b) / secs));
        }
        return stats;
    }

    /**
     * [B, T, W] → [2, B, W]: mean_s |A| and Σ_s A², in float64 (the variance over s follows from the two exactly enough
     * in float64: Σ_s (|A| − m)² = Σ_s A² − T·m²). Two full-size temporaries per site: the float64 copy and |A|.
     */
    static double[] sequenceReductions(NDArray a) {
        try (NDScope temporaries = new NDScope()) { // freed now: reused by the next site instead of page-faulted afresh
            NDArray abs = a.toType(DataType.FLOAT64, false).abs(); // (B, T, W)
            NDArray mean = abs.mean(new int[] {1}); // (B, W)
            NDArray squares = abs.muli(abs).sum(new int[] {1}); // (B, W): |A|² = A², squared in place
            return NDArrays.stack(new NDList(mean, squares)).toDoubleArray(); // (2, B, W)
        }
    }

    /**
     * For every pair s ≤ e: Σ over each sample's tokens of cos(input of s, output of e) → [pairs, B], float64. The sum
     * over tokens of the dot products of unit vectors is one dot product of length T·d per sample and pair, so all pairs
     * come from one batched matmul [B, L, T·d] × [B, T·d, L] of the unit-normalised inputs and outputs.
     */
    static double[] cosineSums(Activations acts, int layers) {
        NDList ins = new NDList(layers), outs = new NDList(layers);
        for (int l = 0; l < layers; l++) {
            ins.add(acts.get(Site.BLOCK_INPUT, l));
            outs.add(acts.get(Site.BLOCK_OUTPUT, l));
        }
        int b = (int) ins.get(0).getShape().get(0);
        double[] all;
        try (NDScope temporaries = new NDScope()) {
            NDArray in = unit(NDArrays.stack(ins, 1).toType(DataType.FLOAT64, false)); // (B, L, T, d)
            NDArray out = unit(NDArrays.stack(outs, 1).toType(DataType.FLOAT64, false));
            NDArray flatIn = in.reshape(b, layers, -1), flatOut = out.reshape(b, layers, -1); // (B, L, T·d)
            all = flatIn.matMul(flatOut.transpose(0, 2, 1)).toDoubleArray(); // (B, L_in, L_out)
        }
        double[] v = new double[ActivationStats.pairs(layers) * b]; // (pairs, B)
        for (int i = 0; i < b; i++) {
            for (int s = 0; s < layers; s++) {
                for (int e = s; e < layers; e++) {
                    v[ActivationStats.pair(layers, s, e) * b + i] = all[(i * layers + s) * layers + e];
                }
            }
        }
        return v;
    }

    /** Each vector along the last axis divided by its L2 norm (zero vectors stay zero). */
    private static NDArray unit(NDArray x) {
        int last = x.getShape().dimension() - 1;
        return x.div(x.square().sum(new int[] {last}, true).sqrt().maximum(1e-300));
    }
}
