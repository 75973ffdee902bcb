package org.minitron4j.train;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.Locale;
import org.minitron4j.InvalidInputException;

/**
 * Settings of one training run (teacher training, CLM baselines and distillation share them): steps and batch shape,
 * AdamW, warmup then cosine / linear / constant decay, global-norm clipping, gradient accumulation, seed, and how often
 * to log and validate. Immutable and validated; serialisable with Jackson as a record.
 */
@RecordBuilder
public record TrainConfig(
        int steps,
        int batchSize,
        int seqLen,
        int gradAccumulation,
        double learningRate,
        double minLearningRate,
        int warmupSteps,
        Schedule schedule,
        double weightDecay,
        double beta1,
        double beta2,
        double epsilon,
        double gradClip,
        long seed,
        int logEvery,
        int evalEvery,
        int evalTokens) implements TrainConfigBuilder.With {

    /** Learning-rate decay after warmup. */
    public enum Schedule { COSINE, LINEAR, CONSTANT }

    public TrainConfig {
        positive("steps", steps);
        positive("batchSize", batchSize);
        positive("seqLen", seqLen);
        positive("gradAccumulation", gradAccumulation);
        positive("logEvery", logEvery);
        if (!(learningRate > 0) || !(minLearningRate >= 0) || minLearningRate > learningRate) {
            throw new InvalidInputException("need 0 <= minLearningRate <= learningRate and learningRate > 0, got "
                    + minLearningRate + " and " + learningRate);
        }
        if (warmupSteps < 0 || evalEvery < 0 || evalTokens < 0) {
            throw new InvalidInputException("warmupSteps, evalEvery and evalTokens must be >= 0");
        }
        if (!(weightDecay >= 0) || !(gradClip >= 0)) {
            throw new InvalidInputException("weightDecay and gradClip must be >= 0 (gradClip 0 = off)");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)) {
            throw new InvalidInputException("AdamW needs 0 <= beta1, beta2 < 1 and epsilon > 0");
        }
        if (schedule == null) {
            throw new InvalidInputException("schedule must be one of COSINE, LINEAR, CONSTANT");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new InvalidInputException(name + " must be > 0, got " + v);
        }
    }

    /** Defaults for a short run: AdamW(0.9, 0.95, 1e-8), wd 0.1, clip 1.0, 10% warmup, cosine to lr/10. */
    public static TrainConfig of(int steps, int batchSize, int seqLen, double learningRate) {
        return new TrainConfig(steps, batchSize, seqLen, 1, learningRate, learningRate / 10, Math.max(1, steps / 10),
                Schedule.COSINE, 0.1, 0.9, 0.95, 1e-8, 1.0, 0, Math.max(1, steps / 100), 0, 0);
    }

    public TrainConfig withSchedule(Schedule sc, int warmup, double minLr) {
        return withSchedule(sc).withWarmupSteps(warmup).withMinLearningRate(minLr);
    }

    public TrainConfig withOptimizer(double wd, double b1, double b2, double eps, double clip) {
        return withWeightDecay(wd).withBeta1(b1).withBeta2(b2).withEpsilon(eps).withGradClip(clip);
    }

    /** Log every {@code log} steps; validate every {@code eval} steps (0 = only at the end) on {@code tokens} tokens. */
    public TrainConfig withLogging(int log, int eval, int tokens) {
        return withLogEvery(log).withEvalEvery(eval).withEvalTokens(tokens);
    }

    /** The learning rate at a (0-based) step: linear warmup to the peak, then the schedule down to the minimum. */
    public double learningRateAt(int step) {
        if (step < warmupSteps) {
            return learningRate * (step + 1) / warmupSteps;
        }
        int decaySteps = Math.max(1, steps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        switch (schedule) {
            case COSINE: return minLearningRate + 0.5 * (learningRate - minLearningRate) * (1 + Math.cos(Math.PI * progress));
            case LINEAR: return learningRate - (learningRate - minLearningRate) * progress;
            default: return learningRate;
        }
    }

    /** Tokens consumed per optimizer step. */
    public long tokensPerStep() {
        return (long) batchSize * seqLen * gradAccumulation;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d steps × %d × %d tokens (accum %d), lr %.2e → %.2e (%s, warmup %d), wd %.3g, clip %.3g, seed %d",
                steps, batchSize, seqLen, gradAccumulation, learningRate, minLearningRate, schedule, warmupSteps,
                weightDecay, gradClip, seed);
    }
}
