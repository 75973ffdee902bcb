package org.minitron4j.search;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.minitron4j.InvalidInputException;
import org.minitron4j.prune.PruneOptions;

/**
 * How {@link ArchitectureSearch#run} scores candidates: how many it tries, how long it lightly retrains each (logit
 * distillation from the teacher; 0 steps ranks by the pruned models' loss alone, as modelopt's search does with a
 * scoring function) and how often it measures the validation loss on the way. Immutable; start from
 * {@link #defaults()}.
 *
 * @param maxCandidates   candidates tried, taken in {@link ArchitectureSearch#candidates} order (closest to the budget,
 *                        then largest, first); modelopt keeps 10
 * @param retrainSteps    light-retraining steps per candidate (the paper: ~400; rankings settle after ~300); 0 = none
 * @param checkpointEvery measure the validation loss every this many retraining steps (0 = only at the end); the loss
 *                        is always measured at step 0 (just pruned) and at the last step
 * @param batchSize       sequences per retraining step and per evaluation batch
 * @param seqLen          tokens per sequence, for retraining and evaluation
 * @param learningRate    peak learning rate of the retraining (10% warmup, cosine to a tenth)
 * @param evalTokens      validation tokens scored at each checkpoint (the first ones of the validation stream)
 * @param seed            seed of the retraining batches; every candidate sees the same batches
 * @param prune           how each candidate is pruned
 */
@RecordBuilder
public record SearchOptions(int maxCandidates, int retrainSteps, int checkpointEvery, int batchSize, int seqLen,
                            double learningRate, int evalTokens, long seed, PruneOptions prune)
        implements SearchOptionsBuilder.With {
    public SearchOptions {
        if (maxCandidates < 1) {
            throw new InvalidInputException("the number of candidates must be >= 1, got " + maxCandidates);
        }
        if (retrainSteps < 0 || checkpointEvery < 0) {
            throw new InvalidInputException("retraining steps and checkpoint interval must be >= 0, got " + retrainSteps
                    + " and " + checkpointEvery);
        }
        if (batchSize < 1 || seqLen < 1 || evalTokens < 2) {
            throw new InvalidInputException("batch size and sequence length must be >= 1 and evaluation tokens >= 2, got "
                    + batchSize + ", " + seqLen + " and " + evalTokens);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new InvalidInputException("learning rate must be > 0, got " + learningRate);
        }
        if (prune == null) {
            throw new InvalidInputException("prune options must be set");
        }
    }

    /** 10 candidates, no retraining, batch 16 × 128 tokens, lr 1e-4, 65,536 evaluation tokens, seed 0. */
    public static SearchOptions defaults() {
        return new SearchOptions(10, 0, 0, 16, 128, 1e-4, 65536, 0, PruneOptions.defaults());
    }

    /** Retrain each candidate {@code steps} steps, measuring the validation loss every {@code every} steps. */
    public SearchOptions withRetraining(int steps, int every) {
        return withRetrainSteps(steps).withCheckpointEvery(every);
    }

    public SearchOptions withBatch(int batch, int len) {
        return withBatchSize(batch).withSeqLen(len);
    }

    /** The validation steps: 0, every {@code checkpointEvery} retraining steps, and the last step (ascending, distinct). */
    public int[] checkpointSteps() {
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        s.add(0);
        if (checkpointEvery > 0) {
            for (int k = checkpointEvery; k <= retrainSteps; k += checkpointEvery) {
                s.add(k);
            }
        }
        s.add(retrainSteps);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }
}
