package org.minitron4j.tinyworld;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.Locale;
import org.minitron4j.JsonMappers;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.eval.MultipleChoice;
import org.minitron4j.eval.MultipleChoiceResult;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.train.Objective;
import org.minitron4j.train.TrainConfig;
import org.minitron4j.train.Checkpointing;
import org.minitron4j.train.Trainer;
import org.minitron4j.train.TrainingLog;

/**
 * The bundled TinyWorld teacher: a Llama-style model (GQA, SwiGLU, RMSNorm) trained from scratch by the project's own
 * training loop on the TinyWorld corpus, then saved in Hugging Face format with its recipe, log and scores.
 */
public final class Teacher {
    private Teacher() {
    }

    /** Architecture and training settings; {@link #defaults} is the shipped teacher's recipe. */
    public record Recipe(int hiddenSize, int intermediateSize, int numLayers, int numAttentionHeads, int numKeyValueHeads,
                         int contextLength, long initSeed, TrainConfig train) {
        public static Recipe defaults() {
            TrainConfig t = TrainConfig.of(4000, 16, 128, 1e-3)
                    .withSchedule(TrainConfig.Schedule.COSINE, 200, 1e-4)
                    .withOptimizer(0.1, 0.9, 0.95, 1e-8, 1.0)
                    .withLogging(25, 500, 65_536)
                    .withSeed(1);
            return new Recipe(192, 512, 6, 8, 2, 256, 1, t);
        }

        /**
         * This recipe for a run of {@code steps} steps: besides the step count, the warmup is cut to at most a tenth of
         * them (at least 1) and the log interval to at most their number, so that a short run still warms up and logs.
         */
        public Recipe forSteps(int steps) {
            TrainConfig t = train;
            TrainConfig n = new TrainConfig(steps, t.batchSize(), t.seqLen(), t.gradAccumulation(), t.learningRate(),
                    t.minLearningRate(), Math.min(t.warmupSteps(), Math.max(1, steps / 10)), t.schedule(), t.weightDecay(),
                    t.beta1(), t.beta2(), t.epsilon(), t.gradClip(), t.seed(), Math.min(t.logEvery(), steps),
                    t.evalEvery(), t.evalTokens());
            return new Recipe(hiddenSize, intermediateSize, numLayers, numAttentionHeads, numKeyValueHeads, contextLength,
                    initSeed, n);
        }

        ModelConfig config(Tokenizer tok) {
            return ModelConfig.llama(tok.vocabSize(), hiddenSize, intermediateSize, numLayers, numAttentionHeads,
                            numKeyValueHeads)
                    .withMaxPositionEmbeddings(contextLength)
                    .withTokenIds(tok.bosTokenId().isPresent() ? tok.bosTokenId().getAsInt() : null,
                            tok.eosTokenId().isPresent() ? tok.eosTokenId().getAsInt() : null);
        }
    }

    /**
     * Scores of a trained teacher: validation LM loss, Winogrande-format dev accuracy (knowledge of villagers), the easy
     * world-knowledge set and the story-ending multiple choice (acc and acc_norm; chance 0.25), all 0-shot.
     */
    public record Scores(double validationLoss, double unigramLoss, double winograndeAcc, double winograndeStderr,
                         int winograndeItems, double easyWinograndeAcc, double storyEndingAcc,
                         double storyEndingAccNorm, int storyEndingItems, long parameters, double trainSeconds) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "validation loss %.4f (unigram baseline %.4f), winogrande %.4f ± %.4f (n = %d), "
                            + "easy winogrande %.4f, story endings acc %.4f / acc_norm %.4f (n = %d), %,d parameters, "
                            + "trained in %.0f s", validationLoss, unigramLoss, winograndeAcc, winograndeStderr,
                    winograndeItems, easyWinograndeAcc, storyEndingAcc, storyEndingAccNorm, storyEndingItems, parameters,
                    trainSeconds);
        }
    }

    /**
     * Trains the teacher on {@code datasetDir} (generating TinyWorld there first if its train split is missing) and
     * writes the model folder, {@code recipe.json}, {@code training_log.csv} and {@code scores.json} to {@code outDir}.
     */
    public static Scores train(Path datasetDir, Path outDir, Recipe recipe, Device device, Progress progress) {
        return train(datasetDir, outDir, recipe, device, Checkpointing.none(), progress);
    }

    /**
     * {@link #train(Path, Path, Recipe, Device, Progress)} that saves resumable checkpoints as {@code checkpointing}
     * says (and resumes from the newest one if it asks to); the checkpoint folder is deleted once the teacher is saved.
     */
    public static Scores train(Path datasetDir, Path outDir, Recipe recipe, Device device, Checkpointing checkpointing,
                               Progress progress) {
        if (!Files.isRegularFile(datasetDir.resolve("train.txt"))) {
            progress.update("generating TinyWorld", 0, 1, datasetDir.toString());
            TinyWorld.generate(datasetDir, TinyWorldOptions.defaults());
            progress.update("generating TinyWorld", 1, 1, "");
        }
        try (Tokenizer tok = Tokenizer.load(datasetDir)) {
            int[] train = TokenSource.read(datasetDir.resolve("train.txt"), tok);
            int[] validation = TokenSource.read(datasetDir.resolve("validation.txt"), tok);
            ModelConfig config = recipe.config(tok);
            long start = System.nanoTime();
            try (Model model = Model.random(config, device, recipe.initSeed())) {
                TrainingLog log = Trainer.train(model, Objective.languageModeling(), train, validation, recipe.train(),
                        checkpointing, progress);
                double seconds = (System.nanoTime() - start) / 1e9;
                Files.createDirectories(outDir);
                Checkpoints.save(model, outDir, Checkpoints.SaveOptions.defaults().withTokenizerFrom(datasetDir));
                log.writeCsv(outDir.resolve("training_log.csv"));
                Scores scores = score(model, tok, datasetDir, train, validation, recipe.train().seqLen(), seconds, progress);
                writeJson(outDir.resolve("recipe.json"), recipe);
                writeJson(outDir.resolve("scores.json"), scores);
                checkpointing.discard();
                return scores;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Validation LM loss, the unigram baseline in the same units (per predicted token) and the three task sets. */
    public static Scores score(Model model, Tokenizer tok, Path datasetDir, int[] train, int[] validation, int seqLen,
                               double trainSeconds, Progress progress) {
        double loss = LmLoss.evaluate(model, validation, new LmLossOptions(seqLen, 16, Set.of()), progress).loss();
        ModelScorer scorer = new ModelScorer(model, 8192, progress);
        WinograndeResult wg = Winogrande.evaluate(Winogrande.load(datasetDir.resolve("winogrande_dev.jsonl")), tok,
                scorer, WinograndeOptions.defaults());
        WinograndeResult easy = Winogrande.evaluate(Winogrande.load(datasetDir.resolve("winogrande_easy_dev.jsonl")), tok,
                scorer, WinograndeOptions.defaults());
        MultipleChoiceResult stories = MultipleChoice.evaluate(
                MultipleChoice.load(datasetDir.resolve("story_endings_dev.jsonl")), tok, scorer, 0);
        return new Scores(loss, unigramLoss(train, validation, model.config().vocabSize()), wg.acc(), wg.accStderr(), wg.n(),
                easy.acc(), stories.acc(), stories.accNorm(), stories.n(), model.parameterCount(), trainSeconds);
    }

    /** Cross-entropy of validation tokens 1..N-1 under add-one-smoothed unigram frequencies of the training tokens. */
    static double unigramLoss(int[] train, int[] validation, int vocab) {
        long[] counts = new long[vocab];
        for (int t : train) counts[t]++;
        double total = train.length + vocab, nll = 0;
        for (int i = 1; i < validation.length; i++) {
            nll -= Math.log((counts[validation[i]] + 1) / total);
        }
        return nll / (validation.length - 1);
    }

    private static void writeJson(Path file, Object value) throws IOException {
        ObjectMapper json = JsonMappers.indented();
        json.writeValue(file.toFile(), value);
    }
}
