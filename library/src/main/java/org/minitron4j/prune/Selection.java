package org.minitron4j.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * What one pruning keeps, decided from the config, the plan, the ranking and the options alone (no weights): the
 * layers, the hidden channels and, per kept layer (keyed by its original index), the query heads, KV groups and MLP
 * neurons, all ascending in the original numbering. {@link #cuts()} turns it into one row/column selection per tensor
 * of the pruned model; {@link Pruner} applies them to a model in memory and {@link CheckpointSurgery} to a checkpoint
 * on disk, so both keep exactly the same elements.
 *
 * <p>The arrays are the selection's own; do not modify them.
 */
public record Selection(ModelConfig before, ModelConfig after, PrunePlan plan, PruneOptions options, int[] layers,
                        int[] channels, Map<Integer, int[]> heads, Map<Integer, int[]> groups,
                        Map<Integer, int[]> neurons) {

    /**
     * One tensor of the pruned model: rows {@code rows} and columns {@code cols} (null: all) of the original's tensor
     * {@code source}; for a 1-d tensor, {@code rows} picks its elements. When {@code mergeLayer} is a layer index
     * (not -1), the source is that layer's o_proj after {@link PruneOptions#headResidualMerge()} folded its pruned
     * heads in ({@link #mergedOProj}).
     */
    public record Cut(String source, String target, int @Nullable [] rows, int @Nullable [] cols, int mergeLayer) {
    }

    /**
     * Decides what to keep. Only the axes the plan shrinks consult the ranking. Throws {@link InvalidInputException}
     * for an impossible plan or option, or a ranking of the wrong length or with NaN scores.
     */
    public static Selection of(ModelConfig c, PrunePlan plan, ImportanceRanking ranking, PruneOptions options) {
        ModelConfig t = plan.targetConfig(c);
        checkOptions(c, t, options);
        int g = c.groupSize(), gNew = t.groupSize();
        int[] layers;
        if (plan.numLayers() != null && t.numLayers() < c.numLayers()) {
            layers = topK(scores(ranking.layerScores(), c.numLayers(), "layerScores()"), t.numLayers());
        } else if (plan.dropLayers() != null) {
            Set<Integer> drop = new HashSet<>(plan.dropLayers());
            layers = IntStream.range(0, c.numLayers()).filter(l -> !drop.contains(l)).toArray();
        } else {
            layers = all(c.numLayers());
        }
        int[] channels = t.hiddenSize() < c.hiddenSize()
                ? topK(scores(ranking.channelScores(), c.hiddenSize(), "channelScores()"), t.hiddenSize())
                : all(c.hiddenSize());
        boolean headsChange = t.numAttentionHeads() < c.numAttentionHeads();
        Map<Integer, int[]> heads = new LinkedHashMap<>(), groups = new LinkedHashMap<>(), neurons = new LinkedHashMap<>();
        for (int l : layers) {
            if (headsChange) {
                double[] hs = scores(ranking.headScores(l), c.numAttentionHeads(), "headScores(" + l + ")");
                int[] kept;
                if (t.numKeyValueHeads() < c.numKeyValueHeads()) {
                    double[] gs = new double[c.numKeyValueHeads()]; // a group's score: the sum of its query heads'
                    for (int h = 0; h < hs.length; h++) {
                        gs[h / g] += hs[h];
                    }
                    kept = topK(gs, t.numKeyValueHeads());
                } else {
                    kept = all(c.numKeyValueHeads());
                }
                // within each kept group, the top gNew query heads; query head h belongs to group h / g
                List<Integer> hl = new ArrayList<>();
                for (int j : kept) {
                    for (int r : topK(Arrays.copyOfRange(hs, j * g, (j + 1) * g), gNew)) {
                        hl.add(j * g + r);
                    }
                }
                heads.put(l, hl.stream().mapToInt(Integer::intValue).toArray());
                groups.put(l, kept);
            } else {
                heads.put(l, all(c.numAttentionHeads()));
                groups.put(l, all(c.numKeyValueHeads()));
            }
            neurons.put(l, t.intermediateSize() < c.intermediateSize()
                    ? topK(scores(ranking.neuronScores(l), c.intermediateSize(), "neuronScores(" + l + ")"), t.intermediateSize())
                    : all(c.intermediateSize()));
        }
        return new Selection(c, t, plan, options, layers, channels, heads, groups, neurons);
    }

    /** Whether o_proj columns of pruned heads are folded into kept heads ({@link PruneOptions#headResidualMerge()}). */
    public boolean mergesHeads() {
        return options.headResidualMerge() && after.numAttentionHeads() < before.numAttentionHeads();
    }

    /** One cut per tensor of the pruned model, in {@link WeightNames#layout} order of {@link #after()}. */
    public List<Cut> cuts() {
        ModelConfig c = before;
        int hd = c.headDim();
        boolean normBias = c.norm() != ModelConfig.NormType.RMS;
        int[] ch = channels;
        List<Cut> cuts = new ArrayList<>();
        cuts.add(new Cut(WeightNames.EMBED, WeightNames.EMBED, null, ch, -1));
        if (c.learnedPositions()) {
            cuts.add(new Cut(WeightNames.POSITIONS, WeightNames.POSITIONS, null, ch, -1));
        }
        for (int i = 0; i < layers.length; i++) {
            int l = layers[i];
            int[] qRows = expand(heads.get(l), hd), kvRows = expand(groups.get(l), hd), n = neurons.get(l);
            vector(cuts, WeightNames.attnNorm(l), WeightNames.attnNorm(i), ch, normBias);
            linear(cuts, WeightNames.q(l), WeightNames.q(i), qRows, ch, c.attentionBias());
            linear(cuts, WeightNames.k(l), WeightNames.k(i), kvRows, ch, c.attentionBias());
            linear(cuts, WeightNames.v(l), WeightNames.v(i), kvRows, ch, c.attentionBias());
            cuts.add(new Cut(WeightNames.o(l) + ".weight", WeightNames.o(i) + ".weight", ch, qRows, mergesHeads() ? l : -1));
            if (c.attentionOutputBias()) {
                cuts.add(new Cut(WeightNames.o(l) + ".bias", WeightNames.o(i) + ".bias", ch, null, -1));
            }
            vector(cuts, WeightNames.mlpNorm(l), WeightNames.mlpNorm(i), ch, normBias);
            if (c.gatedMlp()) {
                linear(cuts, WeightNames.gate(l), WeightNames.gate(i), n, ch, c.mlpBias());
            }
            linear(cuts, WeightNames.up(l), WeightNames.up(i), n, ch, c.mlpBias());
            cuts.add(new Cut(WeightNames.down(l) + ".weight", WeightNames.down(i) + ".weight", ch, n, -1));
            if (c.mlpBias()) {
                cuts.add(new Cut(WeightNames.down(l) + ".bias", WeightNames.down(i) + ".bias", ch, null, -1));
            }
        }
        vector(cuts, WeightNames.FINAL_NORM, WeightNames.FINAL_NORM, ch, normBias);
        if (!c.tieWordEmbeddings()) {
            cuts.add(new Cut(WeightNames.LM_HEAD, WeightNames.LM_HEAD, null, ch, -1));
        }
        return cuts;
    }

    private static void linear(List<Cut> cuts, String from, String to, int[] rows, int[] cols, boolean bias) {
        cuts.add(new Cut(from + ".weight", to + ".weight", rows, cols, -1));
        if (bias) {
            cuts.add(new Cut(from + ".bias", to + ".bias", rows, null, -1));
        }
    }

    /** A norm's weight (and bias) restricted to the kept channels. */
    private static void vector(List<Cut> cuts, String from, String to, int[] channels, boolean bias) {
        cuts.add(new Cut(from + ".weight", to + ".weight", channels, null, -1));
        if (bias) {
            cuts.add(new Cut(from + ".bias", to + ".bias", channels, null, -1));
        }
    }

    /**
     * The o_proj [d, heads·hd] of original layer {@code layer} with its pruned heads folded in (see {@link
     * PruneOptions#headResidualMerge()}), as f32 row-major; {@code weights} reads an original tensor by name as f32.
     * Appends the merges made to {@code merges}.
     */
    public float[] mergedOProj(int layer, Function<String, float[]> weights, List<PruneReport.HeadMerge> merges) {
        float[] qBias = before.attentionBias() ? weights.apply(WeightNames.q(layer) + ".bias") : null;
        return Pruner.merge(weights.apply(WeightNames.o(layer) + ".weight"), weights.apply(WeightNames.q(layer) + ".weight"),
                qBias, before, layer, groups.get(layer), heads.get(layer), merges);
    }

    /** The report of this selection (parameter counts from the configs), with the head merges an applier made. */
    public PruneReport report(List<PruneReport.HeadMerge> merges) {
        return new PruneReport(plan, options, before, after, before.parameterCount(), after.parameterCount(),
                boxed(layers), boxed(channels), boxed(heads), boxed(groups), boxed(neurons), merges);
    }

    private static void checkOptions(ModelConfig c, ModelConfig t, PruneOptions options) {
        boolean mha = c.numKeyValueHeads() == c.numAttentionHeads() && t.numKeyValueHeads() == t.numAttentionHeads();
        if (t.numKeyValueHeads() < c.numKeyValueHeads() && !mha && !options.pruneKvGroups()) {
            throw new InvalidInputException("num_key_value_heads " + t.numKeyValueHeads() + " < " + c.numKeyValueHeads()
                    + " drops whole KV groups; enable PruneOptions.withPruneKvGroups(true) (modelopt >= 0.41 keeps them)");
        }
        if (options.requireCheckpointShapes() && c.architecture() == ModelConfig.Architecture.GPT2
                && t.hiddenSize() != t.numAttentionHeads() * t.headDim()) {
            throw new InvalidInputException("gpt2: hidden_size " + t.hiddenSize() + " must equal num_attention_heads × head_dim = "
                    + t.numAttentionHeads() + " × " + t.headDim() + " = " + t.numAttentionHeads() * t.headDim()
                    + " (GPT-2 checkpoints fuse q, k, v into [hidden, 3·hidden]); prune hidden_size and num_attention_heads"
                    + " together, or turn off PruneOptions.requireCheckpointShapes for an in-memory model");
        }
    }

    /** Head (or group) indices to the rows of their channels: h → h·hd .. h·hd + hd − 1. */
    static int[] expand(int[] heads, int hd) {
        int[] rows = new int[heads.length * hd];
        for (int i = 0; i < heads.length; i++) {
            for (int x = 0; x < hd; x++) {
                rows[i * hd + x] = heads[i] * hd + x;
            }
        }
        return rows;
    }

    /** Indices of the k largest scores, ascending; ties keep the lower index. */
    static int[] topK(double[] scores, int k) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a])); // stable: ties stay in index order
        int[] top = new int[k];
        for (int i = 0; i < k; i++) {
            top[i] = order[i];
        }
        Arrays.sort(top);
        return top;
    }

    private static double[] scores(double[] s, int expected, String what) {
        if (s == null || s.length != expected) {
            throw new InvalidInputException("ranking " + what + " has " + (s == null ? "no" : String.valueOf(s.length))
                    + " scores, expected " + expected);
        }
        for (int i = 0; i < s.length; i++) {
            if (Double.isNaN(s[i])) {
                throw new InvalidInputException("ranking " + what + " has NaN at index " + i);
            }
        }
        return s;
    }

    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    private static Map<Integer, List<Integer>> boxed(Map<Integer, int[]> m) {
        Map<Integer, List<Integer>> out = new LinkedHashMap<>();
        m.forEach((l, v) -> out.put(l, boxed(v)));
        return out;
    }
}
