package org.minitron4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Corpus;
import org.minitron4j.data.TokenSource;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.EvalSuite;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.importance.DepthMetrics;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.TestTokenizers;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.train.TrainConfig;

/**
 * The notebook-facing verbs (options values, the default progress, the evaluation suite, the corpus) compute exactly
 * what the positional verbs they wrap compute, and name the option they reject.
 */
class NotebookApiTest {
    private static final List<String> WORDS = List.of("So", "Al", "Bo", "won.", "lost.", "the", "race");
    private static final ModelConfig CONFIG = ModelConfig.llama(WORDS.size() + 3, 32, 48, 2, 4, 2);

    @TempDir Path dir;

    private static int[] tokens(int n, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(CONFIG.vocabSize());
        }
        return t;
    }

    @Test
    void calibrationOptionsGiveTheStatisticsOfTheSameWindows() {
        int[] data = tokens(2000, 3);
        try (Model m = Model.random(CONFIG, Device.cpu(), 7)) {
            ActivationStats viaOptions = Calibration.run(m, data,
                    CalibrationOptions.defaults().withSamples(12).withSeqLen(16).withSeed(5).withBatchSize(4)
                            .withBlocks(3), Progress.NONE);
            ActivationStats direct = Calibration.run(m, Calibration.windows(data, 12, 16, 5), 4, 3, Progress.NONE);
            assertArrayEquals(direct.layerImportance(), viaOptions.layerImportance(), 0.0);
            assertEquals(direct.scores().table().doubleColumn("score").asList(),
                    viaOptions.scores().table().doubleColumn("score").asList());
        }
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> CalibrationOptions.defaults().withSeqLen(0));
        assertTrue(e.getMessage().contains("seqLen") && !e.getMessage().contains("--"), e.getMessage());
    }

    @Test
    void callsWithoutAProgressReportToTheInstalledDefault() {
        List<String> tasks = new ArrayList<>();
        Progress.setDefault((task, done, total, detail) -> tasks.add(task));
        try (Model m = Model.random(CONFIG, Device.cpu(), 7)) {
            LmLoss.Result quiet = LmLoss.evaluate(m, tokens(300, 1), 32, 4);
            assertTrue(tasks.isEmpty(), "the positional form is silent: " + tasks);
            LmLoss.Result shown = LmLoss.evaluate(m, tokens(300, 1), LmLossOptions.defaults().withSeqLen(32)
                    .withBatchSize(4));
            assertEquals(quiet.loss(), shown.loss(), 0.0);
            assertTrue(tasks.contains("lm-loss"), tasks.toString());
        } finally {
            Progress.setDefault(Progress.NONE);
        }
    }

    @Test
    void lmLossDefaultsToTheModelsContextAtMost2048() {
        try (Model m = Model.random(CONFIG, Device.cpu(), 1)) {
            assertEquals(Math.min(2048, CONFIG.maxPositionEmbeddings()), LmLossOptions.defaults().seqLenFor(m));
            assertEquals(64, LmLossOptions.defaults().withSeqLen(64).seqLenFor(m));
        }
        assertThrows(InvalidInputException.class, () -> LmLossOptions.defaults().withBatchSize(0));
    }

    @Test
    void anEvalSuiteMeasuresWhatTheVerbsMeasureAndALeaderboardRowHoldsIt() throws Exception {
        TestTokenizers.writeWordLevel(dir, WORDS, false);
        List<WinograndeItem> items = List.of(
                WinograndeItem.fromSentence("a", "So _ won.", "Al", "Bo", "1", 1),
                WinograndeItem.fromSentence("b", "So _ lost.", "Al", "Bo", "2", 2),
                WinograndeItem.fromSentence("c", "So _ won the race", "Bo", "Al", "1", 3));
        int[] heldOut = tokens(500, 2);
        LmLossOptions lm = LmLossOptions.defaults().withSeqLen(24).withBatchSize(3);
        try (Tokenizer tok = Tokenizer.load(dir); Model m = Model.random(CONFIG, Device.cpu(), 11)) {
            EvalSuite suite = EvalSuite.of(tok).withLmTokens(heldOut).withLmLoss(lm).withWinogrande(items);
            EvalSuite.Measurements got = suite.measure(m, Progress.NONE);
            double loss = LmLoss.evaluate(m, heldOut, 24, 3).loss();
            WinograndeResult wg = Winogrande.evaluate(items, tok, new ModelScorer(m), WinograndeOptions.defaults());
            assertEquals(loss, got.lmLoss().loss(), 0.0);
            assertEquals(wg.acc(), got.winogrande().acc(), 0.0);
            assertEquals(wg.items().doubleColumn("logprob1").asList(),
                    got.winogrande().items().doubleColumn("logprob1").asList());
            assertEquals(wg.items().doubleColumn("logprob2").asList(),
                    got.winogrande().items().doubleColumn("logprob2").asList());

            EvalSuite.Measurements skipped = suite.measure(m, Set.of(1));
            assertEquals(LmLoss.evaluate(m, heldOut, lm.withSkippedLayers(Set.of(1)), Progress.NONE).loss(),
                    skipped.lmLoss().loss(), 0.0);
            assertEquals(Winogrande.evaluate(items, tok, new ModelScorer(m, 8192, Progress.NONE, Set.of(1)),
                    WinograndeOptions.defaults()).items().doubleColumn("logprob1").asList(),
                    skipped.winogrande().items().doubleColumn("logprob1").asList());

            Leaderboard board = Leaderboard.of(suite).reference("teacher");
            board.measure("teacher", "teacher", m);
            assertEquals(loss, board.value("teacher", "lm_loss"), 0.0);
            assertEquals(wg.acc(), board.value("teacher", "winogrande"), 0.0);
            assertEquals(1.0, board.table().doubleColumn("parameter_share").get(0), 0.0);
            assertTrue(new Leaderboard().toHtml() != null);
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> new Leaderboard().measure("x", null, m));
            assertTrue(e.getMessage().contains("Leaderboard.of"), e.getMessage());
        }
    }

    @Test
    void badSuitesAndGridsAreRefusedWithTheOptionNamed() {
        InvalidInputException noTokenizer = assertThrows(InvalidInputException.class, () -> EvalSuite.of(null)
                .withWinogrande(List.of(WinograndeItem.fromSentence("a", "So _ won.", "Al", "Bo", "1", 1))));
        assertTrue(noTokenizer.getMessage().contains("needs a tokenizer"), noTokenizer.getMessage());
        InvalidInputException batch = assertThrows(InvalidInputException.class,
                () -> EvalSuite.of(null).withBatchTokens(0));
        assertTrue(batch.getMessage().contains("batchTokens"), batch.getMessage());
        try (Model m = Model.random(CONFIG, Device.cpu(), 1)) {
            InvalidInputException grid = assertThrows(InvalidInputException.class, () -> DepthMetrics.lmLossGrid(m,
                    tokens(200, 1), LmLossOptions.defaults().withSeqLen(16).withSkippedLayers(Set.of(0)), 1));
            assertTrue(grid.getMessage().contains("skippedLayers"), grid.getMessage());
        }
    }

    @Test
    void aCorpusFolderWithoutCalibrationTextCalibratesOnTheTrainingText() throws Exception {
        TestTokenizers.writeWordLevel(dir, WORDS, false);
        Files.writeString(dir.resolve(Corpus.TRAIN), "So Al won. So Bo lost.");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            InvalidInputException missing = assertThrows(InvalidInputException.class, () -> Corpus.load(dir, tok));
            assertTrue(missing.getMessage().contains(Corpus.VALIDATION), missing.getMessage());
            Files.writeString(dir.resolve(Corpus.VALIDATION), "Al won the race");
            Corpus c = Corpus.load(dir, tok);
            assertArrayEquals(TokenSource.read(dir.resolve(Corpus.TRAIN), tok), c.train());
            assertArrayEquals(TokenSource.read(dir.resolve(Corpus.VALIDATION), tok), c.validation());
            assertSame(c.train(), c.calibration());
            assertEquals(2, c.withValidationTokens(2).validation().length);
            assertSame(c, c.withValidationTokens(10));
            assertTrue(c.toString().contains("train " + c.train().length + " tokens"), c.toString());
        }
    }

    @Test
    void generatedCopiesStillValidate() {
        DistillationConfig kd = DistillationConfig.defaults(TrainConfig.of(10, 2, 8, 1e-3));
        assertEquals(7, kd.withTrain(kd.train().withSeed(7)).train().seed());
        assertEquals(kd.train().withSeed(7).withSeed(0), kd.train());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> kd.withAlpha(0.5));
        assertTrue(e.getMessage().contains("withFixedAlpha"), e.getMessage());
        assertEquals(0.5, kd.withFixedAlpha(0.5).alpha(), 0.0);
        assertThrows(InvalidInputException.class, () -> kd.train().withSteps(0));
        assertEquals(Set.of(), LmLossOptions.defaults().skippedLayers());
    }
}
