package org.minitron4j.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.minitron4j.InvalidInputException;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * Structured pruning surgery: keeps the top-ranked layers, hidden channels, attention heads (per KV group) and MLP
 * neurons of a model and returns a new model of the plan's shape. Kept indices stay in their original order.
 *
 * <p>Slicing happens on the Java side into fresh contiguous arrays, so the result shares no storage with the original,
 * which is never modified. What is removed per axis:
 * <ul>
 *   <li>hidden channel j: column j of the embedding, learned positions and lm_head, entry j of every norm weight and
 *       bias, input column j of q/k/v/gate/up, output row j (and bias entry) of o_proj and down;</li>
 *   <li>query head h: rows h·hd..(h+1)·hd of q (and bias), the same input columns of o_proj; a KV group: its rows of k
 *       and v (and biases);</li>
 *   <li>MLP neuron n: row n of gate and up (and biases), column n of down;</li>
 *   <li>layer: all its tensors; the rest are renumbered in order.</li>
 * </ul>
 * Tied embeddings stay tied; {@code head_dim} never changes.
 */
public final class Pruner {
    private Pruner() {
    }

    /** Prunes with {@link PruneOptions#defaults()}. */
    public static PruneResult prune(Model model, PrunePlan plan, ImportanceRanking ranking) {
        return prune(model, plan, ranking, PruneOptions.defaults());
    }

    /**
     * Returns a new model of {@code plan.targetConfig(model.config())} holding the top-ranked components of {@code
     * model}, and a report. Only the axes the plan shrinks consult the ranking. Throws {@link InvalidInputException}
     * for an impossible plan or a ranking of the wrong length or with NaN scores.
     */
    public static PruneResult prune(Model model, PrunePlan plan, ImportanceRanking ranking, PruneOptions options) {
        ModelConfig c = model.config();
        ModelConfig t = plan.targetConfig(c);
        checkOptions(c, t, options);
        int hd = c.headDim(), g = c.groupSize(), gNew = t.groupSize();

        // ---- what to keep ----
        int[] layers;
        if (plan.numLayers() != null && t.numLayers() < c.numLayers()) {
            layers = topK(scores(ranking.layerScores(), c.numLayers(), "layerScores()"), t.numLayers());
        } else if (plan.dropLayers() != null) {
            Set<Integer> drop = new HashSet<>(plan.dropLayers());
            layers = java.util.stream.IntStream.range(0, c.numLayers()).filter(l -> !drop.contains(l)).toArray();
        } else {
            layers = all(c.numLayers());
        }
        int[] channels = t.hiddenSize() < c.hiddenSize()
                ? topK(scores(ranking.channelScores(), c.hiddenSize(), "channelScores()"), t.hiddenSize())
                : all(c.hiddenSize());
        boolean headsChange = t.numAttentionHeads() < c.numAttentionHeads();
        Map<Integer, List<Integer>> keptHeads = new LinkedHashMap<>(), keptGroups = new LinkedHashMap<>(),
                keptNeurons = new LinkedHashMap<>();
        List<PruneReport.HeadMerge> merges = new ArrayList<>();
        Map<Integer, int[]> headIdx = new LinkedHashMap<>(), groupIdx = new LinkedHashMap<>(), neuronIdx = new LinkedHashMap<>();
        for (int l : layers) {
            int[] heads, groups;
            if (headsChange) {
                double[] hs = scores(ranking.headScores(l), c.numAttentionHeads(), "headScores(" + l + ")");
                if (t.numKeyValueHeads() < c.numKeyValueHeads()) {
                    double[] gs = new double[c.numKeyValueHeads()]; // a group's score: the sum of its query heads'
                    for (int h = 0; h < hs.length; h++) {
                        gs[h / g] += hs[h];
                    }
                    groups = topK(gs, t.numKeyValueHeads());
                } else {
                    groups = all(c.numKeyValueHeads());
                }
                // within each kept group, the top gNew query heads; query head h belongs to group h / g
                List<Integer> hl = new ArrayList<>();
                for (int j : groups) {
                    double[] within = Arrays.copyOfRange(hs, j * g, (j + 1) * g);
                    for (int r : topK(within, gNew)) {
                        hl.add(j * g + r);
                    }
                }
                heads = hl.stream().mapToInt(Integer::intValue).toArray();
            } else {
                heads = all(c.numAttentionHeads());
                groups = all(c.numKeyValueHeads());
            }
            int[] neurons = t.intermediateSize() < c.intermediateSize()
                    ? topK(scores(ranking.neuronScores(l), c.intermediateSize(), "neuronScores(" + l + ")"), t.intermediateSize())
                    : all(c.intermediateSize());
            headIdx.put(l, heads);
            groupIdx.put(l, groups);
            neuronIdx.put(l, neurons);
            keptHeads.put(l, boxed(heads));
            keptGroups.put(l, boxed(groups));
            keptNeurons.put(l, boxed(neurons));
        }

        // ---- surgery: index selection in libtorch, one tensor at a time (nothing goes through Java arrays) ----
        int d = c.hiddenSize();
        try (NDManager tmp = NDManager.newBaseManager(model.device())) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            Surgery s = new Surgery(model, tmp, w);
            NDArray ch = s.index(channels);
            s.select(WeightNames.EMBED, WeightNames.EMBED, null, ch);
            if (c.learnedPositions()) {
                s.select(WeightNames.POSITIONS, WeightNames.POSITIONS, null, ch);
            }
            boolean normBias = c.norm() != ModelConfig.NormType.RMS;
            for (int i = 0; i < layers.length; i++) {
                int l = layers[i];
                NDArray qRows = s.index(expand(headIdx.get(l), hd)), kvRows = s.index(expand(groupIdx.get(l), hd));
                NDArray n = s.index(neuronIdx.get(l));
                s.vector(WeightNames.attnNorm(l), WeightNames.attnNorm(i), ch, normBias);
                s.linear(WeightNames.q(l), WeightNames.q(i), qRows, ch, c.attentionBias());
                s.linear(WeightNames.k(l), WeightNames.k(i), kvRows, ch, c.attentionBias());
                s.linear(WeightNames.v(l), WeightNames.v(i), kvRows, ch, c.attentionBias());
                if (options.headResidualMerge() && headsChange) {
                    // the merge mixes pruned heads' o_proj columns into kept ones: computed on Java arrays (small)
                    float[] o = merge(model.weight(WeightNames.o(l) + ".weight").toFloatArray(),
                            model.weight(WeightNames.q(l) + ".weight").toFloatArray(),
                            c.attentionBias() ? model.weight(WeightNames.q(l) + ".bias").toFloatArray() : null,
                            c, l, groupIdx.get(l), headIdx.get(l), merges);
                    s.put(WeightNames.o(i) + ".weight", tmp.create(o, new Shape(d, (long) c.numAttentionHeads() * hd)), ch, qRows);
                } else {
                    s.select(WeightNames.o(l) + ".weight", WeightNames.o(i) + ".weight", ch, qRows);
                }
                if (c.attentionOutputBias()) {
                    s.select(WeightNames.o(l) + ".bias", WeightNames.o(i) + ".bias", ch, null);
                }
                s.vector(WeightNames.mlpNorm(l), WeightNames.mlpNorm(i), ch, normBias);
                if (c.gatedMlp()) {
                    s.linear(WeightNames.gate(l), WeightNames.gate(i), n, ch, c.mlpBias());
                }
                s.linear(WeightNames.up(l), WeightNames.up(i), n, ch, c.mlpBias());
                s.select(WeightNames.down(l) + ".weight", WeightNames.down(i) + ".weight", ch, n);
                if (c.mlpBias()) {
                    s.select(WeightNames.down(l) + ".bias", WeightNames.down(i) + ".bias", ch, null);
                }
            }
            s.vector(WeightNames.FINAL_NORM, WeightNames.FINAL_NORM, ch, normBias);
            if (!c.tieWordEmbeddings()) {
                s.select(WeightNames.LM_HEAD, WeightNames.LM_HEAD, null, ch);
            }
            Model pruned = new Model(t, w, model.device());
            PruneReport report = new PruneReport(plan, options, c, t, model.parameterCount(), pruned.parameterCount(),
                    boxed(layers), boxed(channels), keptHeads, keptGroups, keptNeurons, merges);
            return new PruneResult(pruned, report);
        }
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

    /**
     * {@link PruneOptions#headResidualMerge()}: returns a copy of o_proj [d, heads·hd] in which each pruned query head of
     * a kept group has its columns added onto those of the kept head of the same group with the most similar query
     * projection (cosine over its q rows and bias).
     */
    private static float[] merge(float[] o, float[] q, float[] qBias, ModelConfig c, int layer, int[] groups, int[] kept,
                                 List<PruneReport.HeadMerge> merges) {
        int hd = c.headDim(), g = c.groupSize(), d = c.hiddenSize(), cols = c.numAttentionHeads() * hd;
        float[] m = o.clone();
        Set<Integer> keptSet = new HashSet<>(boxed(kept));
        for (int j : groups) {
            for (int p = j * g; p < (j + 1) * g; p++) {
                if (keptSet.contains(p)) {
                    continue;
                }
                int best = -1;
                double bestSim = Double.NEGATIVE_INFINITY;
                for (int k = j * g; k < (j + 1) * g; k++) {
                    if (keptSet.contains(k)) {
                        double s = headCosine(q, qBias, d, hd, p, k);
                        if (s > bestSim) {
                            best = k;
                            bestSim = s;
                        }
                    }
                }
                if (best < 0) {
                    continue; // a group keeps at least one head, so this does not happen
                }
                for (int r = 0; r < d; r++) {
                    for (int x = 0; x < hd; x++) {
                        m[r * cols + best * hd + x] += o[r * cols + p * hd + x];
                    }
                }
                merges.add(new PruneReport.HeadMerge(layer, p, best, bestSim));
            }
        }
        return m;
    }

    /** Cosine similarity of two query heads' projections: q rows [hd, d] (and bias [hd]) flattened. */
    private static double headCosine(float[] q, float[] bias, int d, int hd, int a, int b) {
        double dot = 0, na = 0, nb = 0;
        for (int x = 0; x < hd * d; x++) {
            double u = q[a * hd * d + x], v = q[b * hd * d + x];
            dot += u * v;
            na += u * u;
            nb += v * v;
        }
        if (bias != null) {
            for (int x = 0; x < hd; x++) {
                double u = bias[a * hd + x], v = bias[b * hd + x];
                dot += u * v;
                na += u * u;
                nb += v * v;
            }
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
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
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    private static List<Integer> boxed(int[] a) {
        return Arrays.stream(a).boxed().toList();
    }

    /**
     * Builds the pruned tensors from the original's by index selection in libtorch (an exact copy of the kept rows and
     * columns), one tensor at a time, into a scratch manager that the new model's constructor takes over.
     */
    private record Surgery(Model model, NDManager tmp, Map<String, NDArray> w) {
        /** Indices as an int64 tensor (null for "all"). */
        NDArray index(int[] keep) {
            return tmp.create(Arrays.stream(keep).asLongStream().toArray());
        }

        /** {@code to} = rows {@code rows} and columns {@code cols} (null: all) of the original's {@code from}. */
        void select(String from, String to, NDArray rows, NDArray cols) {
            put(to, model.weight(from), rows, cols);
        }

        /** Rows {@code rows} / columns {@code cols} of {@code source} (a 1-d source: its elements {@code rows}). */
        void put(String to, NDArray source, NDArray rows, NDArray cols) {
            NDArray x = source;
            if (rows != null) {
                x = x.get(new NDIndex("{}", rows));
            }
            if (cols != null) {
                x = x.getShape().dimension() == 1 ? x.get(new NDIndex("{}", cols)) : x.get(new NDIndex(":, {}", cols));
            }
            if (x == source) {
                x = source.duplicate();
            }
            x.attach(tmp);
            w.put(to, x);
        }

        void linear(String from, String to, NDArray rows, NDArray cols, boolean bias) {
            select(from + ".weight", to + ".weight", rows, cols);
            if (bias) {
                select(from + ".bias", to + ".bias", rows, null);
            }
        }

        /** A norm's weight (and bias) restricted to the kept channels. */
        void vector(String from, String to, NDArray channels, boolean bias) {
            select(from + ".weight", to + ".weight", channels, null);
            if (bias) {
                select(from + ".bias", to + ".bias", channels, null);
            }
        }
    }
}
