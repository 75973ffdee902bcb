package org.minitron4j.model;

import java.util.List;
import org.minitron4j.Progress;

/**
 * A transformer that runs whole passes over many batches: a {@link Model} in memory, or a {@link StreamedModel} that
 * reads one layer at a time from a checkpoint. Calibration and LM-loss evaluation take either; both give the same
 * numbers for the same batches.
 */
public interface Transformer extends AutoCloseable {
    ModelConfig config();

    /** Exact parameter count (tied embeddings counted once). */
    long parameterCount();

    /**
     * Runs every batch of token ids ([B][T] each; the batches may differ in shape) through the model with {@code
     * options} (capture, skipped layers, logits; no KV cache), handing activations and outputs to {@code listener}.
     */
    default void pass(List<int[][]> batches, Forward.Options options, PassListener listener, Progress progress) {
        passBatches(TokenBatch.plain(batches), options, listener, progress);
    }

    /** {@link #pass} over batches that may pack several sequences sharing a prefix into a row ({@link PackedRows}). */
    void passBatches(List<TokenBatch> batches, Forward.Options options, PassListener listener, Progress progress);

    /** Frees the weights (a model in memory) or closes the checkpoint's files (a streamed model). */
    @Override
    void close();
}
