package org.minitron4j.distill;

import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.train.Checkpointing;
import org.minitron4j.train.Trainer;
import org.minitron4j.train.TrainingDivergedException;
import org.minitron4j.train.TrainingLog;

/**
 * The {@code distill} verb: retrains a (pruned) student in place from a frozen teacher with the losses of a
 * {@link DistillationConfig}, in the one training loop ({@link Trainer}). Baselines are configs too: CLM-only from the
 * pruned init ({@link DistillationConfig#clmOnly}, no teacher) or from {@code Model.random}.
 */
public final class Distillation {
    private Distillation() {
    }

    /** What a run produced: its log, the final validation loss (NaN without validation data), tokens, steps, time. */
    public record Result(TrainingLog log, double validationLoss, long tokens, int steps, double seconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d steps, %,d tokens, validation loss %.4f, %.1f s", steps, tokens,
                    validationLoss, seconds);
        }
    }

    /** {@link #run(Model, Model, int[], int[], DistillationConfig, Checkpointing, Progress)} without checkpoints. */
    public static Result run(Model student, @Nullable Model teacher, int[] train, int @Nullable [] validation,
                             DistillationConfig config, Progress progress) {
        return run(student, teacher, train, validation, config, Checkpointing.none(), progress);
    }

    /**
     * Trains {@code student} in place. {@code teacher} may be null for a config that needs none; it is never modified.
     * The projection (if any) is checkpointed with the student; pass {@code checkpointing.withResume(true)} to continue
     * an interrupted run bit-identically.
     *
     * @param validation held-out tokens, or null
     * @throws InvalidInputException      on a missing teacher, mismatched vocabularies, token ids outside the
     *                                    vocabulary, or too little data
     * @throws TrainingDivergedException if the loss or gradient becomes NaN or infinite
     */
    public static Result run(Model student, @Nullable Model teacher, int[] train, int @Nullable [] validation,
                             DistillationConfig config, Checkpointing checkpointing, Progress progress) {
        int vocab = student.config().vocabSize();
        checkTokens(train, vocab, "training data");
        if (validation != null) {
            checkTokens(validation, vocab, "validation data");
        }
        long start = System.nanoTime();
        try (DistillationObjective objective = DistillationObjective.create(teacher, student, config)) {
            TrainingLog log = Trainer.train(student, objective, train, validation, config.train(), checkpointing, progress);
            double val = validation == null ? Double.NaN : log.last("val_loss");
            if (validation != null && Double.isNaN(val)) {
                val = LmLoss.evaluate(student, validation, config.train().seqLen(), config.train().batchSize()).loss();
            }
            int steps = config.train().steps();
            return new Result(log, val, steps * config.train().tokensPerStep(), steps, (System.nanoTime() - start) / 1e9);
        }
    }

    private static void checkTokens(int[] tokens, int vocab, String what) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new InvalidInputException(what + ": token id " + tokens[i] + " at position " + i
                        + " is outside the student's vocabulary (size " + vocab + ")");
            }
        }
    }
}
