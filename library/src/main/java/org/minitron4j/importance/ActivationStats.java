package org.minitron4j.importance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Site;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The additive sufficient statistics of one calibration pass: from them every {@link Aggregation} of every
 * width component, and block importance of every contiguous block, follow exactly without another forward pass.
 *
 * <p>Per captured site, layer and channel d, and per sequence reduction r ∈ {mean, l2, var} of sample b's activations
 * (x_b, defined in {@link Aggregation}), it keeps Σ_b x_b and Σ_b x_b² (and the sample count). For block importance it
 * keeps, for every pair of layers s ≤ e, Σ over tokens of cos(input of s, output of e) and the token count.
 *
 * <p>Statistics are kept per <em>block</em> of consecutive calibration samples (sample i of n falls in block ⌊i·blocks /
 * n⌋). Totals are the sums over blocks; {@link #resample(long)} draws blocks with replacement, which is the exact
 * per-sample bootstrap when there are as many blocks as samples and a block bootstrap otherwise. Immutable once built.
 */
public final class ActivationStats implements HtmlRenderable {
    /** The sites whose per-channel statistics are kept, in file order. */
    public static final List<Site> SITES = List.of(Site.HEAD_OUTPUT, Site.MLP_PRE_ACT, Site.MLP_POST_ACT, Site.ATTN_NORM,
            Site.MLP_NORM);
    /** Per channel and block: (Σx, Σx²) for each of the three sequence reductions. */
    static final int MOMENTS = 6;
    private static final String FORMAT = "minitron4j-activation-stats";

    /**
     * How the statistics were gathered.
     *
     * @param samples calibration samples (sequences)
     * @param seqLen tokens per sample
     * @param seed seed that drew the samples from a token stream; null when the caller supplied the windows
     * @param batchSize samples per forward pass
     */
    public record Settings(int samples, int seqLen, @Nullable Long seed, int batchSize) {}

    private record Key(Site site, int layer) {}

    private final ModelConfig config;
    private final Settings settings;
    private final long[] counts; // [blocks] samples per block
    private final long[] tokens; // [blocks] tokens per block
    private final Map<Key, double[]> channels; // (site, layer) → [blocks][3 seq reductions][Σx, Σx²][width]
    private final double[][] cos; // [blocks][pairs (s ≤ e)] Σ over tokens of cos(input of s, output of e)

    private ActivationStats(ModelConfig config, Settings settings, long[] counts, long[] tokens, Map<Key, double[]> channels,
                            double[][] cos) {
        this.config = config;
        this.settings = settings;
        this.counts = counts;
        this.tokens = tokens;
        this.channels = channels;
        this.cos = cos;
    }

    /** Zeroed statistics for {@code blocks} blocks, filled by {@link Calibration}. */
    static ActivationStats empty(ModelConfig config, Settings settings, int blocks) {
        Map<Key, double[]> ch = new LinkedHashMap<>();
        for (int l = 0; l < config.numLayers(); l++) {
            for (Site s : SITES) {
                ch.put(new Key(s, l), new double[blocks * MOMENTS * width(config, s)]);
            }
        }
        return new ActivationStats(config, settings, new long[blocks], new long[blocks], ch,
                new double[blocks][pairs(config.numLayers())]);
    }

    /** Channels of a site: heads × head_dim for {@link Site#HEAD_OUTPUT}, ffn for the MLP sites, hidden for norms. */
    public static int width(ModelConfig c, Site site) {
        switch (site) {
            case HEAD_OUTPUT: return c.numAttentionHeads() * c.headDim();
            case MLP_PRE_ACT: case MLP_POST_ACT: return c.intermediateSize();
            case ATTN_NORM: case MLP_NORM: return c.hiddenSize();
            default: throw new IllegalArgumentException("no channel statistics are kept for " + site + " (kept: " + SITES + ")");
        }
    }

    static int pairs(int layers) {
        return layers * (layers + 1) / 2;
    }

    /** Index of the layer pair (s, e), s ≤ e, in row-major order over the upper triangle. */
    static int pair(int layers, int s, int e) {
        return s * layers - s * (s - 1) / 2 + (e - s);
    }

    // ---- accumulation (Calibration only) ----

    /**
     * Adds one batch of one site: {@code v} is [2, B, W] = (mean_s |A|, Σ_s A²) per sample and channel; {@code blockOf[b]} is sample b's block; {@code t} the sequence length.
     */
    void addChannels(Site site, int layer, double[] v, int b, int t, int[] blockOf) {
        int w = width(config, site);
        double[] acc = channels.get(new Key(site, layer));
        for (int i = 0; i < b; i++) {
            int base = blockOf[i] * MOMENTS * w;
            int mean = i * w, sq = (b + i) * w;
            for (int d = 0; d < w; d++) {
                // var_s |A| = (1/T)·Σ_s A² − mean², exact enough in float64; clamped at 0 against rounding
                double xm = v[mean + d], xl2 = v[sq + d], xv = Math.max(0, xl2 / t - xm * xm);
                acc[base + d] += xm;
                acc[base + w + d] += xm * xm;
                acc[base + 2 * w + d] += Math.sqrt(xl2);
                acc[base + 3 * w + d] += xl2;
                acc[base + 4 * w + d] += xv;
                acc[base + 5 * w + d] += xv * xv;
            }
        }
    }

    /** Adds one batch of cosine sums {@code v} [pairs, B] (each summed over the t tokens of a sample). */
    void addCosines(double[] v, int b, int t, int[] blockOf) {
        int p = pairs(config.numLayers());
        for (int i = 0; i < b; i++) {
            int blk = blockOf[i];
            for (int k = 0; k < p; k++) {
                cos[blk][k] += v[k * b + i];
            }
            counts[blk]++;
            tokens[blk] += t;
        }
    }

    // ---- queries ----

    public ModelConfig config() {
        return config;
    }

    public Settings settings() {
        return settings;
    }

    /** Bytes of the statistics' arrays (on the Java heap): 2.0 GB for an 8B model in 32 blocks. */
    public long bytes() {
        long doubles = (long) cos.length * (cos.length == 0 ? 0 : cos[0].length);
        for (double[] a : channels.values()) {
            doubles += a.length;
        }
        return doubles * Double.BYTES + 2L * counts.length * Long.BYTES;
    }

    /** Number of blocks the statistics are kept in (the bootstrap's resampling unit). */
    public int blockCount() {
        return counts.length;
    }

    /** Calibration samples counted (with multiplicity after {@link #resample}). */
    public long samples() {
        long n = 0;
        for (long c : counts) {
            n += c;
        }
        return n;
    }

    /** Tokens counted (with multiplicity after {@link #resample}). */
    public long tokens() {
        long n = 0;
        for (long c : tokens) {
            n += c;
        }
        return n;
    }

    /** One aggregated score per channel of {@code site} in {@code layer} [width]; see {@link Aggregation} for the definitions. */
    public double[] channelScores(Site site, int layer, Aggregation agg) {
        checkLayer(layer);
        double[] acc = channels.get(new Key(site, layer));
        if (acc == null) {
            throw new IllegalArgumentException("no channel statistics are kept for " + site + " (kept: " + SITES + ")");
        }
        int w = width(config, site);
        double n = samples();
        int r = agg.sequence().ordinal();
        double[] out = new double[w];
        for (int blk = 0; blk < counts.length; blk++) {
            int base = blk * MOMENTS * w + 2 * r * w;
            for (int d = 0; d < w; d++) {
                // Σx lands in out for mean/var; Σx² is needed for l2/var: reduce after the loop.
                out[d] += agg.batch() == Aggregation.Reduction.MEAN ? acc[base + d] : acc[base + w + d];
            }
        }
        if (agg.batch() == Aggregation.Reduction.VAR) {
            double[] sum = new double[w];
            for (int blk = 0; blk < counts.length; blk++) {
                int base = blk * MOMENTS * w + 2 * r * w;
                for (int d = 0; d < w; d++) {
                    sum[d] += acc[base + d];
                }
            }
            for (int d = 0; d < w; d++) {
                double mean = sum[d] / n;
                out[d] = Math.max(0, out[d] / n - mean * mean);
            }
        } else {
            for (int d = 0; d < w; d++) {
                out[d] = agg.batch() == Aggregation.Reduction.MEAN ? out[d] / n : Math.sqrt(out[d]);
            }
        }
        return out;
    }

    /** Per head of {@code layer}: the L2 norm over the head's channels of the aggregated o_proj input [heads]. */
    public double[] headScores(int layer, Aggregation agg) {
        double[] ch = channelScores(Site.HEAD_OUTPUT, layer, agg); // (heads · head_dim)
        int hd = config.headDim();
        double[] out = new double[config.numAttentionHeads()];
        for (int h = 0; h < out.length; h++) {
            double s = 0;
            for (int j = 0; j < hd; j++) {
                s += ch[h * hd + j] * ch[h * hd + j];
            }
            out[h] = Math.sqrt(s);
        }
        return out;
    }

    /** Embedding-channel scores: the aggregated outputs of every pre-attention and pre-MLP norm, summed (modelopt) [hidden]. */
    public double[] channelScores(Aggregation agg) {
        double[] out = new double[config.hiddenSize()];
        for (int l = 0; l < config.numLayers(); l++) {
            for (Site s : List.of(Site.ATTN_NORM, Site.MLP_NORM)) {
                double[] v = channelScores(s, l, agg);
                for (int d = 0; d < out.length; d++) {
                    out[d] += v[d];
                }
            }
        }
        return out;
    }

    /**
     * Block importance of the {@code length} layers from {@code start}: 1 − mean over tokens of cos(input of layer
     * start, output of layer start+length−1). 0 for a block that returns its input.
     */
    public double blockImportance(int start, int length) {
        int layers = config.numLayers();
        if (start < 0 || length < 1 || start + length > layers) {
            throw new InvalidInputException("block of " + length + " layers from layer " + start + " does not fit in "
                    + layers + " layers");
        }
        int k = pair(layers, start, start + length - 1);
        double s = 0;
        for (double[] c : cos) {
            s += c[k];
        }
        return 1 - s / tokens();
    }

    /** Block importance of each single layer [layers]. */
    public double[] layerImportance() {
        double[] out = new double[config.numLayers()];
        for (int l = 0; l < out.length; l++) {
            out[l] = blockImportance(l, 1);
        }
        return out;
    }

    /**
     * Block importance of each single layer ({@link #layerImportance()}) as a table: columns layer (0-based), bi; one
     * row per layer. Plot it with {@code Figures.depthCurves(table, "layer", "bi")}.
     */
    public Table layerImportanceTable() {
        double[] bi = layerImportance();
        IntColumn layer = IntColumn.create("layer");
        for (int l = 0; l < bi.length; l++) {
            layer.append(l);
        }
        return Table.create("layer_importance", layer, DoubleColumn.create("bi", bi));
    }

    /** Block importance of every contiguous block: columns start, length, end (inclusive), bi. */
    public Table blockImportanceTable() {
        IntColumn start = IntColumn.create("start"), length = IntColumn.create("length"), end = IntColumn.create("end");
        DoubleColumn bi = DoubleColumn.create("bi");
        int layers = config.numLayers();
        for (int k = 1; k <= layers; k++) {
            for (int s = 0; s + k <= layers; s++) {
                start.append(s);
                length.append(k);
                end.append(s + k - 1);
                bi.append(blockImportance(s, k));
            }
        }
        return Table.create("block_importance", start, length, end, bi);
    }

    /** The ranking pruning consumes: heads, neurons of {@code variant}, summed norm channels, and per-layer BI. */
    public ImportanceScores scores(Aggregation agg, MlpVariant variant) {
        int layers = config.numLayers();
        double[][] heads = new double[layers][], neurons = new double[layers][];
        for (int l = 0; l < layers; l++) {
            heads[l] = headScores(l, agg);
            neurons[l] = channelScores(variant.site, l, agg);
        }
        return new ImportanceScores(config, agg, variant, heads, neurons, channelScores(agg), layerImportance());
    }

    /** The paper's default: batch L2, sequence mean, pre-activation neurons. */
    public ImportanceScores scores() {
        return scores(Aggregation.PAPER, MlpVariant.PAPER);
    }

    /**
     * Every component under one aggregation, for plotting: columns layer, component, index, score, aggregation.
     * Components: head, neuron_paper, neuron_modelopt, channel (summed; layer −1), channel_attn_norm and
     * channel_mlp_norm (per layer), layer_bi (index = layer).
     */
    public Table table(Aggregation agg) {
        ImportanceScores.Rows rows = new ImportanceScores.Rows(agg);
        for (int l = 0; l < config.numLayers(); l++) {
            rows.add(l, "head", headScores(l, agg));
            rows.add(l, MlpVariant.PAPER.component(), channelScores(Site.MLP_PRE_ACT, l, agg));
            rows.add(l, MlpVariant.MODELOPT.component(), channelScores(Site.MLP_POST_ACT, l, agg));
            rows.add(l, "channel_attn_norm", channelScores(Site.ATTN_NORM, l, agg));
            rows.add(l, "channel_mlp_norm", channelScores(Site.MLP_NORM, l, agg));
        }
        rows.add(-1, "channel", channelScores(agg));
        rows.addLayers("layer_bi", layerImportance());
        return rows.table("importance");
    }

    // ---- resampling ----

    /**
     * A bootstrap replicate: as many blocks as there are, drawn with replacement ({@code SplittableRandom(seed)}), their
     * statistics summed into one block. Deterministic for a seed.
     */
    public ActivationStats resample(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int[] times = new int[counts.length];
        for (int i = 0; i < counts.length; i++) {
            times[rng.nextInt(counts.length)]++;
        }
        return weighted(times);
    }

    /** The statistics of blocks {@code from} (inclusive) to {@code to} (exclusive) only, e.g. to compare halves. */
    public ActivationStats blocks(int from, int to) {
        if (from < 0 || to > counts.length || from >= to) {
            throw new InvalidInputException("block range [" + from + ", " + to + ") is empty or outside 0.." + counts.length);
        }
        int[] times = new int[counts.length];
        Arrays.fill(times, from, to, 1);
        return weighted(times);
    }

    /** Sums block i {@code times[i]} times into a single block. */
    private ActivationStats weighted(int[] times) {
        long[] n = new long[1], tok = new long[1];
        double[][] c = new double[1][pairs(config.numLayers())];
        Map<Key, double[]> ch = new LinkedHashMap<>();
        for (Map.Entry<Key, double[]> e : channels.entrySet()) {
            int size = e.getValue().length / counts.length;
            double[] out = new double[size];
            for (int blk = 0; blk < times.length; blk++) {
                for (int i = 0; i < size && times[blk] > 0; i++) {
                    out[i] += times[blk] * e.getValue()[blk * size + i];
                }
            }
            ch.put(e.getKey(), out);
        }
        for (int blk = 0; blk < times.length; blk++) {
            n[0] += times[blk] * counts[blk];
            tok[0] += times[blk] * tokens[blk];
            for (int k = 0; k < c[0].length; k++) {
                c[0][k] += times[blk] * cos[blk][k];
            }
        }
        if (n[0] == 0) {
            throw new InvalidInputException("the selected blocks hold no samples");
        }
        return new ActivationStats(config, settings, n, tok, ch, c);
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= config.numLayers()) {
            throw new InvalidInputException("layer " + layer + " does not exist (model has " + config.numLayers() + " layers)");
        }
    }

    // ---- files ----

    /**
     * Writes {@code stats.json} (settings, counts, layout), {@code model_config.json} (the model's HF config) and
     * {@code stats.bin} (little-endian float64: per layer, per site of {@link #SITES}, [blocks][6][width]; then
     * [blocks][pairs] cosine sums) into {@code dir}, creating it.
     */
    public void save(Path dir) {
        ObjectMapper json = JsonMappers.indented();
        try {
            Files.createDirectories(dir);
            json.writeValue(dir.resolve("model_config.json").toFile(), config.toHuggingFace());
            ObjectNode o = json.createObjectNode();
            o.put("format", FORMAT);
            o.put("version", 1);
            o.put("samples", settings.samples());
            o.put("seq_len", settings.seqLen());
            if (settings.seed() != null) {
                o.put("seed", settings.seed());
            } else {
                o.putNull("seed");
            }
            o.put("batch_size", settings.batchSize());
            o.put("blocks", counts.length);
            ArrayNode cn = o.putArray("block_samples"), tn = o.putArray("block_tokens");
            for (int i = 0; i < counts.length; i++) {
                cn.add(counts[i]);
                tn.add(tokens[i]);
            }
            ArrayNode sites = o.putArray("sites");
            SITES.forEach(s -> sites.add(s.name()));
            o.put("layout", "per layer, per site: [blocks][seq reduction mean,l2,var][sum x, sum x^2][width]; then"
                    + " [blocks][pairs s<=e] sum over tokens of cos(input s, output e); float64 little-endian");
            json.writeValue(dir.resolve("stats.json").toFile(), o);
            try (FileChannel ch = FileChannel.open(dir.resolve("stats.bin"), StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                for (double[] a : channels.values()) {
                    write(ch, a);
                }
                for (double[] a : cos) {
                    write(ch, a);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write activation statistics to " + dir, e);
        }
    }

    /** Reads what {@link #save} wrote; every aggregation is available again without recalibrating. */
    public static ActivationStats load(Path dir) {
        Path meta = dir.resolve("stats.json"), bin = dir.resolve("stats.bin");
        if (!Files.isRegularFile(meta) || !Files.isRegularFile(bin)) {
            throw new InvalidInputException(dir + ": stats.json and stats.bin not found (not an importance output folder?)");
        }
        try {
            JsonNode o = JsonMappers.shared().readTree(meta.toFile());
            if (!FORMAT.equals(o.path("format").asText())) {
                throw new InvalidInputException(meta + ": not a " + FORMAT + " file");
            }
            ModelConfig config = ModelConfig.fromHuggingFace(dir.resolve("model_config.json"));
            Settings settings = new Settings(o.get("samples").asInt(), o.get("seq_len").asInt(),
                    o.get("seed").isNull() ? null : o.get("seed").asLong(), o.get("batch_size").asInt());
            int blocks = o.get("blocks").asInt();
            ActivationStats s = empty(config, settings, blocks);
            for (int i = 0; i < blocks; i++) {
                s.counts[i] = o.get("block_samples").get(i).asLong();
                s.tokens[i] = o.get("block_tokens").get(i).asLong();
            }
            long expected = 0;
            for (double[] a : s.channels.values()) {
                expected += a.length;
            }
            expected += (long) blocks * pairs(config.numLayers());
            if (Files.size(bin) != expected * Double.BYTES) {
                throw new InvalidInputException(bin + ": " + Files.size(bin) + " bytes, expected " + expected * Double.BYTES
                        + " for " + config);
            }
            try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
                for (double[] a : s.channels.values()) {
                    read(ch, a);
                }
                for (double[] a : s.cos) {
                    read(ch, a);
                }
            }
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read activation statistics from " + dir, e);
        }
    }

    private static void write(FileChannel ch, double[] a) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(a.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asDoubleBuffer().put(a);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void read(FileChannel ch, double[] a) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(a.length * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        buf.flip();
        buf.asDoubleBuffer().get(a);
    }

    /**
     * What was measured and over how much calibration data, then the importance it gives under the paper's default
     * aggregation ({@link #scores()}) as a preview.
     */
    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("measured", "per channel Σx and Σx² (mean, l2, var over a sample's tokens) at " + SITES
                + "; cos(input, output) of every block of layers");
        rows.put("model", config);
        rows.put("samples", samples() + " sequences of " + settings.seqLen() + " tokens");
        rows.put("tokens", tokens());
        rows.put("seed", settings.seed() == null ? "none (windows given by the caller)" : settings.seed());
        rows.put("blocks (bootstrap unit)", blockCount());
        return Fragments.keyValues("ActivationStats", rows) + scores().toHtml();
    }
}
