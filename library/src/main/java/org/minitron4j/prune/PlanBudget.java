package org.minitron4j.prune;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.model.ModelConfig;

/**
 * A parameter budget, and the largest width-pruned and depth-pruned {@link PrunePlan}s of a model that fit in it.
 * The budget is an absolute parameter count ({@link #parameters(long)}) or a share of the original model's ({@link
 * #share(double)}); parameters are always counted by {@link ModelConfig#parameterCount()} of the plan's {@link
 * PrunePlan#targetConfig target config} (tied embeddings counted once).
 *
 * <pre>{@code
 * PlanBudget budget = PlanBudget.share(0.6);
 * PrunePlan width = budget.widthPlan(teacher.config());   // same depth, narrower
 * PrunePlan depth = budget.depthPlan(stats);              // same width, the lowest-BI layers dropped
 * }</pre>
 *
 * Immutable.
 */
public final class PlanBudget {
    private final long parameters; // > 0 when absolute
    private final double share; // in (0, 1] when relative; NaN when absolute

    private PlanBudget(long parameters, double share) {
        this.parameters = parameters;
        this.share = share;
    }

    /** At most {@code count} parameters (count &gt; 0). */
    public static PlanBudget parameters(long count) {
        if (count <= 0) {
            throw new InvalidInputException("parameter budget must be > 0, got " + count);
        }
        return new PlanBudget(count, Double.NaN);
    }

    /**
     * At most {@code fraction} of the original model's parameters, {@code fraction} in (0, 1]; the limit is {@code
     * floor(fraction × original.parameterCount())}.
     */
    public static PlanBudget share(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new InvalidInputException("parameter share must be in (0, 1], got " + fraction);
        }
        return new PlanBudget(0, fraction);
    }

    /** The most parameters a plan of {@code original} may leave. */
    public long limit(ModelConfig original) {
        return Double.isNaN(share) ? parameters : (long) (share * original.parameterCount());
    }

    @Override
    public String toString() {
        return Double.isNaN(share) ? String.format(Locale.ROOT, "%,d parameters", parameters)
                : String.format(Locale.ROOT, "%s of the parameters", share);
    }

    // ---- width ---------------------------------------------------------------------------------------------------

    /**
     * Which width axes {@link #widthPlan(ModelConfig, WidthOptions)} shrinks, and the multiple sizes keep.
     *
     * @param alignment hidden and MLP sizes are multiples of this (e.g. 8 for tensor cores, 64 or 128 on large models);
     *                  at least 1. Head counts are not aligned: they step by one query head per KV group.
     * @param hidden    shrink the embedding channels ({@code hidden_size})
     * @param ffn       shrink the MLP neurons ({@code intermediate_size})
     * @param heads     shrink the query heads ({@code num_attention_heads}), keeping every KV group
     */
    @RecordBuilder
    public record WidthOptions(int alignment, boolean hidden, boolean ffn, boolean heads)
            implements PlanBudgetWidthOptionsBuilder.With {
        public WidthOptions {
            if (alignment < 1) {
                throw new InvalidInputException("alignment must be at least 1, got " + alignment);
            }
            if (!hidden && !ffn && !heads) {
                throw new InvalidInputException("width options shrink no axis: enable hidden, ffn or heads");
            }
        }

        /** Alignment 8; hidden and MLP sizes shrink, attention heads are kept (as Llama-3.1-Minitron-4B-Width keeps them). */
        public static WidthOptions defaults() {
            return new WidthOptions(8, true, true, false);
        }

        /** A copy shrinking exactly the axes given. */
        public WidthOptions withAxes(boolean hiddenSize, boolean intermediateSize, boolean attentionHeads) {
            return with(b -> b.hidden(hiddenSize).ffn(intermediateSize).heads(attentionHeads));
        }
    }

    /** {@link #widthPlan(ModelConfig, WidthOptions)} with {@link WidthOptions#defaults()}. */
    public PrunePlan widthPlan(ModelConfig original) {
        return widthPlan(original, WidthOptions.defaults());
    }

    /**
     * The widest plan of the same depth within the budget. The shrinking axes scale by one common factor along a
     * ladder of steps, and the plan is the highest step whose parameter count fits, found by bisection (the count
     * never decreases up the ladder):
     *
     * <ul>
     * <li>The <em>lead</em> axis is the first shrinking axis of hidden, ffn, heads. Step k (k = 1, 2, …) gives it k ×
     * alignment channels (hidden or ffn; up to ⌊original / alignment⌋ steps), or k query heads per KV group (heads; up
     * to the group size). The factor of step k is s = lead size / original lead size.</li>
     * <li>Every other shrinking axis of original size n takes ⌊s · n / alignment⌋ × alignment channels, at least one
     * alignment (e.g. with hidden leading, ffn = ⌊k · ffn₀ / hidden₀⌋ × alignment).</li>
     * <li>Heads shrink per KV group: a grouped model keeps every KV head and max(1, ⌊s · group size⌋) query heads in
     * each group; a multi-head model (as many KV heads as heads) keeps max(1, ⌊s · heads⌋) heads and stays multi-head
     * (see {@link PrunePlan#validate}). head_dim never changes.</li>
     * </ul>
     *
     * So the next step up, k + 1, exceeds the budget. When the original model already fits, the plan is {@link
     * PrunePlan#none()}; the returned plan sets only the shrinking axes.
     *
     * @throws InvalidInputException when even step 1 (the narrowest shape) exceeds the budget, or the lead axis is
     *                               smaller than one alignment
     */
    public PrunePlan widthPlan(ModelConfig original, WidthOptions options) {
        long budget = limit(original);
        if (original.parameterCount() <= budget) {
            return PrunePlan.none();
        }
        Width w = new Width(original, options);
        if (w.steps() < 1) {
            throw new InvalidInputException(String.format(Locale.ROOT, "%s: the %s (%d) is smaller than the alignment %d",
                    original, w.leadName(), w.leadOriginal(), options.alignment()));
        }
        if (w.plan(1).targetConfig(original).parameterCount() > budget) {
            throw new InvalidInputException(String.format(Locale.ROOT, "no width-pruned shape of %s fits in %,d parameters"
                    + " (the narrowest, %s, has %,d)", original, budget, w.plan(1).toJson(),
                    w.plan(1).targetConfig(original).parameterCount()));
        }
        int lo = 1, hi = w.steps(); // invariant: step lo fits; every step above hi is known not to fit or not to exist
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (w.plan(mid).targetConfig(original).parameterCount() <= budget) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return w.plan(lo);
    }

    /** The ladder of {@link #widthPlan(ModelConfig, WidthOptions)}. */
    private record Width(ModelConfig c, WidthOptions o) {
        private boolean multiHead() {
            return c.numKeyValueHeads() == c.numAttentionHeads();
        }

        /** Heads are counted per KV group, or over the layer for a multi-head model. */
        private int headUnits() {
            return multiHead() ? c.numAttentionHeads() : c.groupSize();
        }

        String leadName() {
            return o.hidden() ? "hidden size" : o.ffn() ? "intermediate size" : "query heads per KV group";
        }

        int leadOriginal() {
            return o.hidden() ? c.hiddenSize() : o.ffn() ? c.intermediateSize() : headUnits();
        }

        private int leadUnit() {
            return o.hidden() || o.ffn() ? o.alignment() : 1;
        }

        int steps() {
            return leadOriginal() / leadUnit();
        }

        /** {@code original} scaled by (lead size / lead original), rounded down to a multiple of {@code unit}, ≥ unit. */
        private int scaled(int original, long leadSize, int unit) {
            long v = leadSize * original / ((long) leadOriginal() * unit) * unit;
            return (int) Math.max(unit, Math.min(v, original));
        }

        PrunePlan plan(int step) {
            long lead = (long) step * leadUnit();
            PrunePlan.Builder b = PrunePlan.builder();
            if (o.hidden()) {
                b.hiddenSize(scaled(c.hiddenSize(), lead, o.alignment()));
            }
            if (o.ffn()) {
                b.intermediateSize(scaled(c.intermediateSize(), lead, o.alignment()));
            }
            if (o.heads()) {
                int units = scaled(headUnits(), lead, 1);
                b.numAttentionHeads(multiHead() ? units : units * c.numKeyValueHeads());
            }
            return b.build();
        }
    }

    // ---- depth ---------------------------------------------------------------------------------------------------

    /**
     * The deepest plan of the same width within the budget: drops the fewest layers d for which the model with L − d
     * layers fits (every layer has the same parameters, so which layers go does not change the count), and names the d
     * layers with the lowest {@code layerScores} (higher = more important; ties: the higher index goes first, as {@link
     * Pruner} keeps the lower) in {@link PrunePlan#dropLayers()}. {@link PrunePlan#none()} when nothing needs to go.
     *
     * @param layerScores one score per layer [numLayers], e.g. block importance
     * @throws InvalidInputException when even one layer exceeds the budget, or the scores do not match the model
     */
    public PrunePlan depthPlan(ModelConfig original, double[] layerScores) {
        int layers = original.numLayers();
        if (layerScores.length != layers) {
            throw new InvalidInputException("layer scores: " + layerScores.length + " values, the model has " + layers
                    + " layers");
        }
        for (int l = 0; l < layers; l++) {
            if (Double.isNaN(layerScores[l])) {
                throw new InvalidInputException("layer scores: layer " + l + " is NaN");
            }
        }
        long budget = limit(original);
        int keep = layers;
        while (keep >= 1 && original.withNumLayers(keep).parameterCount() > budget) {
            keep--;
        }
        if (keep < 1) {
            throw new InvalidInputException(String.format(Locale.ROOT, "no depth-pruned shape of %s fits in %,d parameters"
                    + " (one layer has %,d)", original, budget, original.withNumLayers(1).parameterCount()));
        }
        if (keep == layers) {
            return PrunePlan.none();
        }
        int[] order = ImportanceScores.descending(layerScores); // most important first
        List<Integer> drop = new ArrayList<>();
        for (int i = keep; i < layers; i++) {
            drop.add(order[i]);
        }
        return PrunePlan.builder().dropLayers(drop).build();
    }

    /** {@link #depthPlan(ModelConfig, double[])} with the ranking's {@link ImportanceRanking#layerScores()}. */
    public PrunePlan depthPlan(ModelConfig original, ImportanceRanking ranking) {
        return depthPlan(original, ranking.layerScores());
    }

    /**
     * {@link #depthPlan(ModelConfig, double[])} of the calibrated model, dropping the layers of lowest block importance
     * ({@link ActivationStats#layerImportance()}).
     */
    public PrunePlan depthPlan(ActivationStats stats) {
        return depthPlan(stats.config(), stats.layerImportance());
    }
}
