package org.minitron4j.model;

/**
 * What a {@link Transformer#pass} hands out as it runs a list of batches. A model in memory runs each batch through
 * every layer before the next batch; a {@link StreamedModel} runs every batch through one layer before it loads the next.
 * Either way, a given layer sees the batches in their order and a batch's {@link #output} comes after all its layers,
 * so a listener that accumulates per layer, or per batch, gets the same values in the same order from both.
 */
public interface PassListener {
    /**
     * The activations {@code layer} captured for batch {@code batch} (read them with {@link Activations#get(Site, int)}
     * and this layer's index); valid only during the call.
     */
    default void layer(int layer, int batch, Activations captured) {
    }

    /** Batch {@code batch}'s final-norm hidden states, and its logits when the options asked; valid during the call. */
    void output(int batch, Forward out);

    /**
     * Whether {@link #output} applies the LM head ({@link Forward#logitsOf}) to hidden states in a pass run without
     * logits. A listener that only reads the hidden states returns false, so that a streamed pass does not load the
     * head (an 8B model's is 2.1 GB in f32).
     */
    default boolean usesLmHead() {
        return true;
    }

    /**
     * Bytes this listener keeps per token until the token's batch is output (e.g. hidden states of every layer for
     * block importance), so that a streamed pass sizes its groups of batches to its memory budget.
     */
    default long bytesHeldPerToken(ModelConfig config) {
        return 0;
    }

    /**
     * Bytes this listener holds for the whole pass, whatever the batches (e.g. accumulated statistics), counted against
     * a streamed pass's memory budget.
     */
    default long bytesHeld() {
        return 0;
    }
}
