package org.minitron4j.importance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Batches;
import org.minitron4j.data.TokenSource;
import org.minitron4j.model.Activations;
import org.minitron4j.model.Capture;
import org.minitron4j.model.Forward;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.PassListener;
import org.minitron4j.model.Transformer;
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
            throw new InvalidInputException("samples must be at least 1, got " + samples);
        }
        List<int[]> out = new ArrayList<>(samples);
        for (int[] w : Batches.sample(tokens, seqLen, samples, seed)) {
            out.add(Arrays.copyOf(w, seqLen));
        }
        return out;
    }

    /** Calibrates on {@code tokens} with {@link CalibrationOptions#defaults()}, reporting to {@link Progress#current()}. */
    public static ActivationStats run(Transformer model, int[] tokens) {
        return run(model, tokens, CalibrationOptions.defaults());
    }

    /** Calibrates on {@code tokens}, reporting to {@link Progress#current()}. */
    public static ActivationStats run(Transformer model, int[] tokens, CalibrationOptions options) {
        return run(model, tokens, options, Progress.current());
    }

    /**
     * Calibrates on {@code options.samples()} seeded windows of {@code options.seqLen()} tokens drawn from
     * {@code tokens}, in {@code options.blocks()} bootstrap blocks (fewer when there are fewer samples).
     */
    public static ActivationStats run(Transformer model, int[] tokens, CalibrationOptions options, Progress progress) {
        List<int[]> w = windows(tokens, options.samples(), options.seqLen(), options.seed());
        return run(model, w, options.batchSize(), Math.min(options.samples(), options.blocks()), options.seed(),
                progress);
    }

    /** Calibrates on the given windows (all of one length), in {@link #DEFAULT_BLOCKS} bootstrap blocks at most. */
    public static ActivationStats run(Transformer model, List<int[]> windows, int batchSize, Progress progress) {
        return run(model, windows, batchSize, Math.min(windows.size(), DEFAULT_BLOCKS), null, progress);
    }

    /**
     * Calibrates on the given windows (all of one length), keeping statistics in {@code blocks} blocks of consecutive
     * samples ({@code blocks = windows.size()} keeps per-sample statistics: an exact bootstrap, more memory).
     */
    public static ActivationStats run(Transformer model, List<int[]> windows, int batchSize, int blocks, Progress progress) {
        return run(model, windows, batchSize, blocks, null, progress);
    }

    private static ActivationStats run(Transformer model, List<int[]> windows, int batchSize, int blocks,
                                       @Nullable Long seed,
                                       Progress progress) {
        int n = windows.size();
        if (n == 0) {
            throw new InvalidInputException("calibration needs at least one sample");
        }
        if (batchSize < 1) {
            throw new InvalidInputException("batch size must be at least 1, got " + batchSize);
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
        ActivationStats stats = ActivationStats.empty(model.config(), new ActivationStats.Settings(n, t, seed, batchSize),
                blocks);
        List<int[][]> batches = new ArrayList<>();
        for (int start = 0; start < n; start += batchSize) {
            batches.add(windows.subList(start, Math.min(n, start + batchSize)).toArray(new int[0][]));
        }
        model.pass(batches, Forward.options().withCapture(CAPTURE).withoutLogits(),
                new Accumulator(stats, model.config().numLayers(), batchSize, n, blocks, t, progress), progress);
        return stats;
    }

    /**
     * Adds each batch's statistics as the pass hands out its activations: channel statistics per layer, and the block
     * cosines of a batch once all its layers are done, from the block inputs it kept (the input of layer s and the
     * output of layer e are the hidden states at boundaries s and e + 1).
     */
    private static final class Accumulator implements PassListener {
        private final ActivationStats stats;
        private final int layers, batchSize, samples, blocks, t;
        private final Progress progress;
        private final Map<Integer, NDArray[]> boundaries = new HashMap<>(); // batch → unitRows of the inputs of layers 0..L-1
        private final Map<Integer, double[]> cosines = new HashMap<>(); // batch → [pairs, B]
        private final long started = System.nanoTime();

        Accumulator(ActivationStats stats, int layers, int batchSize, int samples, int blocks, int t, Progress progress) {
            this.stats = stats;
            this.layers = layers;
            this.batchSize = batchSize;
            this.samples = samples;
            this.blocks = blocks;
            this.t = t;
            this.progress = progress;
        }

        private int[] blockOf(int batch, int b) {
            int[] blockOf = new int[b];
            for (int i = 0; i < b; i++) {
                blockOf[i] = (int) ((long) (batch * batchSize + i) * blocks / samples);
            }
            return blockOf;
        }

        @Override
        public void layer(int l, int batch, Activations acts) {
            NDArray in = acts.get(Site.BLOCK_INPUT, l);
            int b = (int) in.getShape().get(0);
            int[] blockOf = blockOf(batch, b);
            for (Site site : ActivationStats.SITES) {
                stats.addChannels(site, l, sequenceReductions(acts.get(site, l)), b, t, blockOf);
            }
            NDArray[] kept = boundaries.computeIfAbsent(batch, k -> new NDArray[layers]);
            if (kept[l] == null) { // layer 0; later inputs are the previous layer's output, normalised below
                kept[l] = unitRows(in, b);
            }
            double[] v = cosines.computeIfAbsent(batch, k -> new double[ActivationStats.pairs(layers) * b]);
            NDArray out = addCosines(v, b, l, kept, acts.get(Site.BLOCK_OUTPUT, l));
            if (l + 1 < layers) {
                kept[l + 1] = out;
            } else {
                out.close();
            }
        }

        @Override
        public void output(int batch, Forward out) {
            NDArray[] kept = boundaries.remove(batch);
            double[] v = cosines.remove(batch);
            int b = (int) out.hidden().getShape().get(0);
            stats.addCosines(v, b, t, blockOf(batch, b));
            for (NDArray a : kept) {
                a.close();
            }
            int done = Math.min(samples, (batch + 1) * batchSize);
            double secs = (System.nanoTime() - started) / 1e9;
            progress.update("calibration", done, samples, String.format(Locale.ROOT, "%.1f samples/s", done / secs));
        }

        @Override
        public long bytesHeld() {
            return stats.bytes();
        }

        @Override
        public boolean usesLmHead() {
            return false;
        }

        @Override
        public long bytesHeldPerToken(ModelConfig config) {
            return (long) layers * config.hiddenSize() * Float.BYTES;
        }
    }

    /**
     * [B, T, W] → [2, B, W]: mean_s |A| and Σ_s A², in float64 (the variance over s follows from the two exactly enough
     * in float64: Σ_s (|A| − m)² = Σ_s A² − T·m²). One full-size float64 temporary per site: |A|, taken in float32
     * (exact) and converted (exact), then squared in place.
     */
    static double[] sequenceReductions(NDArray a) {
        try (NDScope temporaries = new NDScope()) { // freed now: reused by the next site instead of page-faulted afresh
            NDArray abs32 = a.abs();
            NDArray abs = abs32.toType(DataType.FLOAT64, false); // (B, T, W)
            abs32.close();
            NDArray mean = abs.mean(new int[] {1}); // (B, W)
            NDArray squares = abs.muli(abs).sum(new int[] {1}); // (B, W): |A|² = A², squared in place
            return NDArrays.stack(new NDList(mean, squares)).toDoubleArray(); // (2, B, W)
        }
    }

    /**
     * The block input [B, T, d] with each token's vector divided by its L2 norm (in float64), kept as float32 rows
     * [B, T·d] until the batch is output: half the memory of float64, and the cosine sums below still add float64
     * products (a relative error near 1e-7 per cosine).
     */
    static NDArray unitRows(NDArray x, int b) {
        NDArray u;
        try (NDScope temporaries = new NDScope()) {
            u = unit(x.toType(DataType.FLOAT64, false)).toType(DataType.FLOAT32, false).reshape(b, -1);
            NDScope.unregister(u);
        }
        return u;
    }

    /**
     * Into {@code v} [pairs, B]: for every s ≤ e, Σ over each sample's tokens of cos(input of layer s, output of layer
     * e), in float64: the sum over tokens of the dot products of unit vectors is one dot product of length T·d per
     * sample. {@code units[s]} are the inputs' {@link #unitRows}.
     *
     * @return the output's {@link #unitRows}: the next layer's input, normalised once
     */
    static NDArray addCosines(double[] v, int b, int e, NDArray[] units, NDArray output) {
        NDArray rows;
        try (NDScope temporaries = new NDScope()) {
            NDArray out = unit(output.toType(DataType.FLOAT64, false)).reshape(b, -1); // (B, T·d)
            for (int s = 0; s <= e; s++) {
                try (NDScope pair = new NDScope()) { // two [B, T·d] float64 temporaries per s, freed before the next
                    double[] dots = units[s].toType(DataType.FLOAT64, false).mul(out).sum(new int[] {1}).toDoubleArray(); // (B)
                    System.arraycopy(dots, 0, v, ActivationStats.pair(units.length, s, e) * b, b);
                }
            }
            rows = out.toType(DataType.FLOAT32, false);
            NDScope.unregister(rows);
        }
        return rows;
    }

    /** Each vector along the last axis divided by its L2 norm (zero vectors stay zero). */
    private static NDArray unit(NDArray x) {
        int last = x.getShape().dimension() - 1;
        return x.div(x.square().sum(new int[] {last}, true).sqrt().maximum(1e-300));
    }
}
