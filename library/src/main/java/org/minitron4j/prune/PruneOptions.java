package org.minitron4j.prune;

import io.soabase.recordbuilder.core.RecordBuilder;

/**
 * How {@link Pruner} trims, beyond the sizes of a {@link PrunePlan}. Immutable; start from {@link #defaults()}.
 *
 * @param pruneKvGroups when the plan lowers {@code num_key_value_heads} of a grouped-query model, drop whole KV groups
 *     (ranked by the summed scores of their query heads) together with their query heads. Off by default, as in
 *     modelopt ≥ 0.41, which keeps every KV group and prunes query heads within each; a plan that lowers the KV heads
 *     of a grouped model is then rejected. Multi-head models (one query head per KV head) always prune heads and KV
 *     heads together, whatever this says.
 * @param headResidualMerge the paper's ablation (2407.14679 §"attention heads"): fold each pruned query head into a
 *     kept one instead of discarding it. Variant implemented: within a KV group, each pruned query head {@code p} is
 *     merged into the kept head {@code k} of the same group whose query projection (q_proj rows and bias of the head,
 *     flattened) has the highest cosine similarity with {@code p}'s; {@code k}'s o_proj input columns become
 *     {@code W_o[:, k] + W_o[:, p]}. Heads of one group share K and V, so their outputs differ only through their
 *     attention patterns: when {@code q_p = q_k} the merge reproduces the unpruned attention block exactly, and for
 *     similar queries it approximates it. Heads of dropped KV groups are not merged. Off by default.
 * @param requireCheckpointShapes reject plans whose result cannot be written as a Hugging Face checkpoint of its
 *     architecture: GPT-2 fuses q, k, v into one [hidden, 3·hidden] matrix, so it needs {@code hidden_size =
 *     num_attention_heads × head_dim}. On by default; turn off to study, say, GPT-2 head pruning in memory.
 */
@RecordBuilder
public record PruneOptions(boolean pruneKvGroups, boolean headResidualMerge, boolean requireCheckpointShapes)
        implements PruneOptionsBuilder.With {
    /** KV groups kept, no head merging, only savable shapes. */
    public static PruneOptions defaults() {
        return new PruneOptions(false, false, true);
    }

}
