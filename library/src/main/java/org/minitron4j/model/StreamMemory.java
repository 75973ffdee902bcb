package org.minitron4j.model;

import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.minitron4j.InvalidInputException;

/**
 * How a streamed pass spends its memory budget, stage by stage (embeddings, one decoder layer, final norm and head):
 * the runtime, what the listener holds for the whole pass, the stage's weights in f32 and one batch's temporaries are
 * held whatever the grouping; the hidden states (and what the listener keeps per token) grow with the windows in
 * flight. {@link #tokensPerGroup} is the largest group of windows whose peak stays within the budget. The figures are
 * estimates on the high side, checked against the resident memory of a Llama-3.1-8B-shaped calibration (README,
 * "Checkpoints larger than memory").
 *
 * @param stages one entry per stage of the stream
 * @param fixedBytes runtime plus what the listener holds for the whole pass (Java heap, counted at {@link #HEAP_FACTOR})
 */
record StreamMemory(List<Stage> stages, long fixedBytes) {
    /**
     * Resident Java heap per byte of long-lived arrays: the collector commits well above what is live (3.9 GB for the
     * 2.0 GB of an 8B model's calibration statistics) but touches less of it (2.1 GB resident after an hour).
     */
    static final double HEAP_FACTOR = 1.5;

    /**
     * One stage: its weights (f32), what it holds per token of the group, and its temporaries per token of a batch.
     */
    record Stage(String name, long weightBytes, long heldPerToken, long transientPerToken) {
        /** Peak of this stage for a group of {@code groupTokens} tokens, batches of at most {@code batchTokens}. */
        long peak(long groupTokens, long batchTokens) {
            return weightBytes + groupTokens * heldPerToken + batchTokens * transientPerToken;
        }
    }

    /**
     * The stages of a pass over {@code config} whose listener is {@code listener}, for windows of at most {@code seqLen}
     * tokens.
     *
     * @param withHead whether the final stage loads the LM head
     */
    static StreamMemory of(ModelConfig config, PassListener listener, long seqLen, boolean withHead) {
        Map<String, Shape> layout = WeightNames.layout(config);
        long f = Float.BYTES, d = config.hiddenSize(), ffn = config.intermediateSize();
        long x = d * f; // a token's hidden state
        long kept = x + listener.bytesHeldPerToken(config);
        // a decoder layer's temporaries per token: the MLP's pre-activation, activation, up projection and product, and
        // a captured site's float64 copy and |A| (about 6·ffn), the attention scores, mask and softmax (3·heads·T),
        // and some dozen hidden-sized vectors (norms, q, k, v, rotations, residuals)
        long layer = (6 * ffn + 3L * config.numAttentionHeads() * seqLen + 16 * d) * f;
        // the head's: logits and the log-softmax and its temporaries over the vocabulary
        long logits = withHead ? 5L * config.vocabSize() * f : 0;
        List<Stage> stages = List.of(
                new Stage("embeddings", bytes(layout, embeddings()), x, 2 * x),
                new Stage("decoder layer", bytes(layout, decoderLayer(0)), kept, layer),
                new Stage(withHead ? "final norm and LM head" : "final norm", bytes(layout, finalStage(config, withHead)),
                        kept, logits + 2 * x));
        return new StreamMemory(stages, MemoryBudget.RUNTIME_BYTES + Math.round(HEAP_FACTOR * listener.bytesHeld()));
    }

    /** The tensors of the first stage: the input embeddings (and learned positions). */
    static Predicate<String> embeddings() {
        return n -> n.equals(WeightNames.EMBED) || n.equals(WeightNames.POSITIONS);
    }

    /** The tensors of decoder layer {@code l}. */
    static Predicate<String> decoderLayer(int l) {
        String prefix = WeightNames.layer(l);
        return n -> n.startsWith(prefix);
    }

    /** The tensors of the last stage: the final norm, and the LM head (the embeddings when tied) if asked. */
    static Predicate<String> finalStage(ModelConfig config, boolean withHead) {
        String head = config.tieWordEmbeddings() ? WeightNames.EMBED : WeightNames.LM_HEAD;
        return n -> n.startsWith(WeightNames.FINAL_NORM) || (withHead && n.equals(head));
    }

    private static long bytes(Map<String, Shape> layout, Predicate<String> which) {
        long n = 0;
        for (Map.Entry<String, Shape> e : layout.entrySet()) {
            if (which.test(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n * Float.BYTES;
    }

    /** The peak of a pass with groups of {@code groupTokens} tokens in batches of at most {@code batchTokens}. */
    long peak(long groupTokens, long batchTokens) {
        long worst = 0;
        for (Stage s : stages) {
            worst = Math.max(worst, s.peak(groupTokens, batchTokens));
        }
        return fixedBytes + worst;
    }

    /**
     * The most tokens a group of batches may hold within {@code budgetBytes}, at least {@code batchTokens} (a group holds
     * one batch or more).
     *
     * @throws InvalidInputException if even one batch does not fit, naming the stage that needs the most and by how much
     */
    long tokensPerGroup(long budgetBytes, long batchTokens, Path dir) {
        long most = Long.MAX_VALUE;
        for (Stage s : stages) {
            long room = budgetBytes - fixedBytes - s.weightBytes() - batchTokens * s.transientPerToken();
            most = Math.min(most, s.heldPerToken() == 0 ? Long.MAX_VALUE : Math.max(-1, room) / s.heldPerToken());
        }
        if (most < batchTokens) {
            Stage worst = stages.get(0);
            for (Stage s : stages) {
                worst = s.peak(batchTokens, batchTokens) > worst.peak(batchTokens, batchTokens) ? s : worst;
            }
            throw new InvalidInputException(String.format(java.util.Locale.ROOT,
                    "%s: a memory budget of %s is too small to stream this model with batches of %d tokens: the %s stage"
                            + " needs about %s (weights %s, one batch's activations %s, held for the whole pass %s);"
                            + " give a larger budget (--memory) or smaller batches",
                    dir, MemoryBudget.format(budgetBytes), batchTokens, worst.name(),
                    MemoryBudget.format(fixedBytes + worst.peak(batchTokens, batchTokens)),
                    MemoryBudget.format(worst.weightBytes()),
                    MemoryBudget.format(batchTokens * (worst.heldPerToken() + worst.transientPerToken())),
                    MemoryBudget.format(fixedBytes)));
        }
        return most;
    }
}
