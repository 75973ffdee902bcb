package org.minitron4j.prune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/**
 * Structured pruning surgery: keeps the top-ranked layers, hidden channels, attention heads (per KV group) and MLP
 * neurons of a model and returns a new model of the plan's shape. Kept indices stay in their original order.
 *
 * <p>What is kept is decided once, from the config, plan and ranking alone ({@link Selection}); this class applies it
 * to a model in memory by index selection in libtorch, into fresh tensors, so the result shares no storage with the
 * original, which is never modified. {@link CheckpointSurgery} applies the same selection checkpoint to checkpoint.
 * What is removed per axis:
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
        Selection sel = Selection.of(model.config(), plan, ranking, options);
        List<PruneReport.HeadMerge> merges = new ArrayList<>();
        // index selection in libtorch, one tensor at a time (nothing goes through Java arrays but a merged o_proj)
        try (NDManager tmp = NDManager.newBaseManager(model.device())) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Selection.Cut cut : sel.cuts()) {
                NDArray source = model.weight(cut.source());
                if (cut.mergeLayer() >= 0) {
                    float[] o = sel.mergedOProj(cut.mergeLayer(), name -> model.weight(name).toFloatArray(), merges);
                    source = tmp.create(o, source.getShape());
                }
                w.put(cut.target(), select(tmp, source, cut.rows(), cut.cols()));
            }
            Model pruned = new Model(sel.after(), w, model.device());
            return new PruneResult(pruned, sel.report(merges));
        }
    }

    /**
     * {@link PruneOptions#headResidualMerge()}: returns a copy of o_proj [d, heads·hd] in which each pruned query head of
     * a kept group has its columns added onto those of the kept head of the same group with the most similar query
     * projection (cosine over its q rows and bias).
     */
    static float[] merge(float[] o, float[] q, float[] qBias, ModelConfig c, int layer, int[] groups, int[] kept,
                                 List<PruneReport.HeadMerge> merges) {
        int hd = c.headDim(), g = c.groupSize(), d = c.hiddenSize(), cols = c.numAttentionHeads() * hd;
        float[] m = o.clone();
        Set<Integer> keptSet = new HashSet<>(Selection.boxed(kept));
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

    /**
     * Rows {@code rows} and columns {@code cols} (null: all) of {@code source}, a 1-d source: its elements {@code
     * rows}; a fresh tensor in {@code tmp}, which the new model's constructor takes over.
     */
    private static NDArray select(NDManager tmp, NDArray source, int @Nullable [] rows, int @Nullable [] cols) {
        NDArray x = source;
        if (rows != null) {
            x = x.get(new NDIndex("{}", index(tmp, rows)));
        }
        if (cols != null) {
            x = x.get(new NDIndex(":, {}", index(tmp, cols)));
        }
        if (x == source) {
            x = source.duplicate();
        }
        x.attach(tmp);
        return x;
    }

    /** Indices as an int64 tensor. */
    private static NDArray index(NDManager tmp, int[] keep) {
        return tmp.create(Arrays.stream(keep).asLongStream().toArray());
    }
}
