package org.minitron4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.Tokenizer;

/**
 * The token streams of one study: training text (distillation batches), held-out validation text (LM loss, validation
 * during training) and calibration text (importance). Arrays are shared, not copied: do not modify them.
 *
 * @param train       training tokens
 * @param validation  held-out tokens
 * @param calibration calibration tokens (the training tokens when a folder has no calibration file)
 */
public record Corpus(int[] train, int[] validation, int[] calibration) implements HtmlRenderable {
    /** File names {@link #load} reads from a folder. */
    public static final String TRAIN = "train.txt", VALIDATION = "validation.txt", CALIBRATION = "calibration.txt";

    public Corpus {
        if (train.length < 2 || validation.length < 2 || calibration.length < 2) {
            throw new InvalidInputException("a corpus needs at least 2 tokens in each split, got train " + train.length
                    + ", validation " + validation.length + ", calibration " + calibration.length);
        }
    }

    /**
     * Reads {@value #TRAIN}, {@value #VALIDATION} and (when present) {@value #CALIBRATION} from {@code dir}, text
     * encoded with {@code tokenizer} (or pre-tokenized files, see {@link TokenSource#read}).
     */
    public static Corpus load(Path dir, @Nullable Tokenizer tokenizer) {
        Path train = dir.resolve(TRAIN);
        Path validation = dir.resolve(VALIDATION);
        for (Path p : new Path[] {train, validation}) {
            if (!Files.isRegularFile(p)) {
                throw new InvalidInputException(p + ": not found (a corpus folder holds " + TRAIN + ", " + VALIDATION
                        + " and optionally " + CALIBRATION + ")");
            }
        }
        int[] trainTokens = TokenSource.read(train, tokenizer);
        Path calibration = dir.resolve(CALIBRATION);
        int[] calibrationTokens = Files.isRegularFile(calibration) ? TokenSource.read(calibration, tokenizer) : trainTokens;
        return new Corpus(trainTokens, TokenSource.read(validation, tokenizer), calibrationTokens);
    }

    /** A copy whose validation split is its first {@code tokens} tokens (all of it when shorter), for quicker runs. */
    public Corpus withValidationTokens(int tokens) {
        return tokens >= validation.length ? this : new Corpus(train, Arrays.copyOf(validation, tokens), calibration);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "corpus: train %,d tokens, validation %,d, calibration %,d",
                train.length, validation.length, calibration.length);
    }

    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("train tokens", Fragments.count(train.length));
        rows.put("validation tokens", Fragments.count(validation.length));
        rows.put("calibration tokens", calibration == train ? "the training tokens" : Fragments.count(calibration.length));
        return Fragments.keyValues("corpus", rows);
    }
}
