package org.minitron4j.eval;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.Set;
import java.util.TreeSet;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Transformer;

/**
 * Settings of an {@link LmLoss} evaluation, with the CLI's defaults ({@code eval --task lm-loss}):
 * {@code LmLossOptions.defaults().withSeqLen(128)}.
 *
 * @param seqLen        predicted tokens per window; 0 = the model's context, at most 2048
 * @param batchSize     windows per forward pass (memory, not results)
 * @param skippedLayers layers bypassed as if removed (depth metrics without building new models)
 */
@RecordBuilder
public record LmLossOptions(int seqLen, int batchSize, Set<Integer> skippedLayers)
        implements LmLossOptionsBuilder.With {
    public LmLossOptions {
        if (seqLen < 0) {
            throw new InvalidInputException("LM-loss option seqLen must be at least 1 (or 0 for the model's context), got "
                    + seqLen);
        }
        if (batchSize < 1) {
            throw new InvalidInputException("LM-loss option batchSize must be at least 1, got " + batchSize);
        }
        skippedLayers = Set.copyOf(new TreeSet<>(skippedLayers));
    }

    /** Windows of the model's context (at most 2048 tokens), 8 per batch, no layer skipped. */
    public static LmLossOptions defaults() {
        return new LmLossOptions(0, 8, Set.of());
    }

    /** The window length used on {@code model}: {@link #seqLen()}, or its context (at most 2048) when 0. */
    public int seqLenFor(Transformer model) {
        return seqLen > 0 ? seqLen : Math.min(2048, model.config().maxPositionEmbeddings());
    }
}
