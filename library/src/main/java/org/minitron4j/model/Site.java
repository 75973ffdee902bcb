package org.minitron4j.model;

/** Where in a transformer block the forward pass can record an activation (shapes for a batch of B sequences of T tokens). */
public enum Site {
    /** The residual stream entering a block, [B, T, hidden]. */
    BLOCK_INPUT,
    /** The residual stream leaving a block, [B, T, hidden]. */
    BLOCK_OUTPUT,
    /** Output of the pre-attention norm, [B, T, hidden]. */
    ATTN_NORM,
    /** Output of the pre-MLP norm, [B, T, hidden]. */
    MLP_NORM,
    /** Every head's attention output before o_proj, concatenated: [B, T, heads × head_dim]. */
    HEAD_OUTPUT,
    /** The MLP's first projection before the activation (gate for gated MLPs, up otherwise), [B, T, ffn]. */
    MLP_PRE_ACT,
    /** The down-projection input (after activation and gating), [B, T, ffn]. */
    MLP_POST_ACT,
    /** Output of the final norm (layer index = number of layers), [B, T, hidden]. */
    FINAL_NORM
}
