package org.minitron4j.notebook;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.minitron4j.InvalidInputException;
import org.minitron4j.data.Corpus;
import org.minitron4j.eval.MultipleChoice;
import org.minitron4j.eval.MultipleChoiceItem;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.tinyworld.TinyWorld;
import org.minitron4j.tinyworld.TinyWorldOptions;

/**
 * The bundled teacher and TinyWorld data as a notebook finds them, under {@link Notebooks#home()}: no path logic in
 * cells. {@value #TEACHER_ENV} points every notebook at another Hugging Face Llama folder instead of the bundled teacher.
 */
public final class Datasets {
    /** Environment variable read by {@link #teacher()}: a checkpoint folder to use instead of the bundled teacher. */
    public static final String TEACHER_ENV = "MINITRON4J_TEACHER";

    private Datasets() {
    }

    /**
     * The teacher's checkpoint folder: {@value #TEACHER_ENV} when set, else {@code datasets/tinyworld-teacher}.
     *
     * @throws InvalidInputException when the folder has no {@code config.json}
     */
    public static Path teacher() {
        String env = System.getenv(TEACHER_ENV);
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Notebooks.path("datasets/tinyworld-teacher");
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new InvalidInputException("no teacher in " + dir + ": train it with `./minitron4j teacher`, or set "
                    + TEACHER_ENV + " to a Hugging Face checkpoint folder");
        }
        return dir;
    }

    /**
     * The TinyWorld folder ({@code datasets/tinyworld}). Its {@code train.txt} is generated, not committed: made here
     * when missing (deterministic, a few seconds; the committed files come out identical).
     */
    public static Path tinyWorld() {
        Path dir = Notebooks.path("datasets/tinyworld");
        if (!Files.isRegularFile(dir.resolve(Corpus.TRAIN))) {
            TinyWorld.generate(dir, TinyWorldOptions.defaults());
        }
        return dir;
    }

    /** TinyWorld's train, validation and calibration text, encoded with {@code tokenizer}. */
    public static Corpus tinyWorldCorpus(Tokenizer tokenizer) {
        return Corpus.load(tinyWorld(), tokenizer);
    }

    /** TinyWorld's Winogrande evaluation set ({@code winogrande_dev.jsonl}, frequency-banded villagers). */
    public static List<WinograndeItem> winogrande() {
        return Winogrande.load(tinyWorld().resolve("winogrande_dev.jsonl"));
    }

    /** TinyWorld's story endings ({@code story_endings_dev.jsonl}, 4-way multiple choice). */
    public static List<MultipleChoiceItem> storyEndings() {
        return MultipleChoice.load(tinyWorld().resolve("story_endings_dev.jsonl"));
    }
}
