package org.minitron4j.distill;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Corpus;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
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
    private final @Nullable Model teacher;
    private final DistillationConfig config;
    private final Checkpointing checkpointing;
    private final @Nullable Progress progress;

    private Distillation(@Nullable Model teacher, DistillationConfig config, Checkpointing checkpointing,
                         @Nullable Progress progress) {
        this.teacher = teacher;
        this.config = config;
        this.checkpointing = checkpointing;
        this.progress = progress;
    }

    /** What a run produced: its log, the final validation loss (NaN without validation data), tokens, steps, time. */
    public record Result(TrainingLog log, double validationLoss, long tokens, int steps, double seconds)
            implements HtmlRenderable {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d steps, %,d tokens, validation loss %s, %.1f s", steps, tokens,
                    Double.isNaN(validationLoss) ? "not measured" : String.format(Locale.ROOT, "%.4f", validationLoss),
                    seconds);
        }

        @Override
        public String toHtml() {
            Map<String, Object> rows = new LinkedHashMap<>();
            rows.put("steps", steps);
            rows.put("tokens", Fragments.count(tokens));
            rows.put("validation loss", Double.isNaN(validationLoss) ? "not measured" : Fragments.fixed(validationLoss, 4));
            rows.put("seconds", Fragments.fixed(seconds, 1));
            return Fragments.keyValues("distillation run", rows);
        }
    }

    /**
     * Distillation from {@code teacher} (never modified) with {@code config}; null teacher for a config that needs
     * none ({@link DistillationConfig#clmOnly}). No checkpoints; progress to {@link Progress#current()}.
     */
    public static Distillation of(@Nullable Model teacher, DistillationConfig config) {
        return new Distillation(teacher, config, Checkpointing.none(), null);
    }

    /** A copy that checkpoints as {@code c} says; {@code c.withResume(true)} continues an interrupted run bit-identically. */
    public Distillation withCheckpointing(Checkpointing c) {
        return new Distillation(teacher, config, c, progress);
    }

    /** A copy that reports to {@code p} instead of {@link Progress#current()}. */
    public Distillation withProgress(Progress p) {
        return new Distillation(teacher, config, checkpointing, p);
    }

    /** The config runs use. */
    public DistillationConfig config() {
        return config;
    }

    /** Trains {@code student} in place on the corpus's training tokens, validating on its validation tokens. */
    public Result run(Model student, Corpus corpus) {
        return run(student, corpus.train(), corpus.validation());
    }

    /**
     * Trains {@code student} in place. The projection (if any) is checkpointed with the student.
     *
     * @param validation held-out tokens, or null
     * @throws InvalidInputException      on mismatched vocabularies, token ids outside the vocabulary, or too little data
     * @throws TrainingDivergedException if the loss or gradient becomes NaN or infinite
     */
    public Result run(Model student, int[] train, int @Nullable [] validation) {
        int vocab = student.config().vocabSize();
        checkTokens(train, vocab, "training data");
        if (validation != null) {
            checkTokens(validation, vocab, "validation data");
        }
        Progress p = progress != null ? progress : Progress.current();
        long start = System.nanoTime();
        try (DistillationObjective objective = DistillationObjective.create(teacher, student, config)) {
            TrainingLog log = Trainer.train(student, objective, train, validation, config.train(), checkpointing, p);
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
