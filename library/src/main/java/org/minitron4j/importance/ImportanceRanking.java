package org.minitron4j.importance;

/**
 * Per-component importance scores of one model under one choice of aggregation and variant: what pruning keeps the
 * top of. Higher means more important. Arrays are indexed like the model's config (heads, neurons, channels, layers).
 */
public interface ImportanceRanking {
    /** One score per query head of {@code layer} [numAttentionHeads]. */
    double[] headScores(int layer);

    /** One score per MLP neuron of {@code layer} [intermediateSize]. */
    double[] neuronScores(int layer);

    /** One score per hidden (embedding) channel [hiddenSize]. */
    double[] channelScores();

    /** One score per layer [numLayers], for depth pruning (e.g. block importance or LM-loss increase). */
    double[] layerScores();
}
