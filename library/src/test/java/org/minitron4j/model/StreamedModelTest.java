package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.Loglikelihood;
import org.minitron4j.eval.LoglikelihoodRequest;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;

/**
 * A streamed pass (one layer of the checkpoint at a time) against the model loaded in memory, on the real-architecture
 * fixtures: the same windows and batches give the same activation statistics, block importance and LM loss, to the
 * bit (the issue asks for 1e-6 relative; the operations are the same, in the same order).
 */
class StreamedModelTest {
    @TempDir
    Path tmp;

    private static final MemoryBudget BUDGET = MemoryBudget.of(4L << 30);

    static int[] tokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(vocab);
        }
        return t;
    }

    /** The raw statistics file of a calibration, for a bit-for-bit comparison. */
    private byte[] statsBytes(ActivationStats s, String name) throws IOException {
        Path d = tmp.resolve(name);
        s.save(d);
        return Files.readAllBytes(d.resolve("stats.bin"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "llama_sharded"})
    void calibrationAndLossEqualTheModelInMemory(String fixture) throws IOException {
        Path dir = ReferenceParityTest.FIXTURES.resolve(fixture);
        try (Model model = Checkpoints.load(dir, Device.cpu());
             StreamedModel streamed = StreamedModel.open(dir, Device.cpu(), BUDGET)) {
            assertEquals(model.config(), streamed.config());
            assertEquals(model.parameterCount(), streamed.parameterCount());
            int[] data = tokens(4000, model.config().vocabSize(), 7);
            ActivationStats a = Calibration.run(model, data, new CalibrationOptions(10, 24, 4, 3, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            ActivationStats b = Calibration.run(streamed, data, new CalibrationOptions(10, 24, 4, 3, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            assertArrayEquals(statsBytes(a, "memory"), statsBytes(b, "streamed"), fixture + ": statistics differ");
            assertArrayEquals(a.layerImportance(), b.layerImportance(), 0.0);

            LmLoss.Result la = LmLoss.evaluate(model, data, 40, 3);
            LmLoss.Result lb = LmLoss.evaluate(streamed, data, 40, 3);
            assertEquals(la.tokens(), lb.tokens());
            assertEquals(la.loss(), lb.loss(), 0.0, fixture + ": LM loss differs");
        }
    }

    /**
     * Keeps every layer's block output and every batch's final hidden states, and says it holds {@code perToken} bytes
     * per token: a large figure makes a streamed pass split its batches into groups.
     */
    private static final class Recorder implements PassListener {
        final Map<String, float[]> seen = new TreeMap<>();
        final long perToken;

        Recorder(long perToken) {
            this.perToken = perToken;
        }

        @Override
        public void layer(int layer, int batch, Activations captured) {
            seen.put("layer " + layer + " batch " + batch, captured.get(Site.BLOCK_OUTPUT, layer).toFloatArray());
        }

        @Override
        public void output(int batch, Forward out) {
            seen.put("output batch " + batch, out.hidden().toFloatArray());
        }

        @Override
        public long bytesHeldPerToken(ModelConfig config) {
            return perToken;
        }
    }

    @Test
    void bf16CheckpointGroupsAndSkippedLayersStreamAsInMemory() throws IOException {
        Path bf16 = tmp.resolve("bf16");
        try (Model src = Checkpoints.load(ReferenceParityTest.FIXTURES.resolve("llama"), Device.cpu())) {
            Checkpoints.save(src, bf16, Checkpoints.SaveOptions.defaults().withDtype(DType.BF16).withMaxShardBytes(20_000));
        }
        try (Model model = Checkpoints.load(bf16, Device.cpu());
             StreamedModel streamed = StreamedModel.open(bf16, Device.cpu(),
                     MemoryBudget.of(MemoryBudget.RUNTIME_BYTES + 600_000_000L))) {
            int[] data = tokens(3000, model.config().vocabSize(), 11);
            List<int[][]> batches = new ArrayList<>();
            for (int b = 0; b < 5; b++) {
                batches.add(new int[][] {Arrays.copyOfRange(data, 32 * b, 32 * b + 16), Arrays.copyOfRange(data, 32 * b + 16, 32 * b + 32)});
            }
            Forward.Options o = Forward.options().withCapture(Capture.of(Site.BLOCK_OUTPUT)).withSkippedLayers(Set.of(1));
            // 32 tokens per batch at 8 MB each: 0.26 GB per batch, so 0.6 GB beside the runtime holds two at a time
            Recorder inMemory = new Recorder(8_000_000), grouped = new Recorder(8_000_000);
            model.pass(batches, o, inMemory, Progress.NONE);
            List<String> stages = new ArrayList<>();
            streamed.pass(batches, o, grouped, (task, done, total, detail) -> stages.add(done + "/" + total + " " + detail));
            assertEquals(inMemory.seen.keySet(), grouped.seen.keySet());
            inMemory.seen.forEach((k, v) -> assertArrayEquals(v, grouped.seen.get(k), k));
            assertTrue(stages.contains("0/" + 3 * (model.config().numLayers() + 1) + " layer 1 of "
                    + model.config().numLayers() + ", group 1 of 3"), "three groups, progress over all: " + stages);

            ActivationStats a = Calibration.run(model, data, new CalibrationOptions(12, 16, 2, 5, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            ActivationStats b = Calibration.run(streamed, data, new CalibrationOptions(12, 16, 2, 5, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            assertArrayEquals(statsBytes(a, "memory"), statsBytes(b, "streamed"));
        }
    }

    @Test
    void aBudgetThatCannotHoldOneBatchIsRefusedBeforeReading() {
        Path dir = ReferenceParityTest.FIXTURES.resolve("llama");
        try (StreamedModel streamed = StreamedModel.open(dir, Device.cpu(), MemoryBudget.of(100_000_000))) {
            int[] data = tokens(400, streamed.config().vocabSize(), 3);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> LmLoss.evaluate(streamed, data, 40, 3));
            assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("0.1 GB is too small to stream")
                    && e.getMessage().contains("batches of"), e.getMessage());
        }
    }

    @Test
    void theMemoryPlanCountsTheLargestStageAndWhatTheListenerHolds() {
        ModelConfig c = ModelConfig.fromHuggingFace(ReferenceParityTest.FIXTURES.resolve("llama"));
        Recorder r = new Recorder(1000);
        StreamMemory m = StreamMemory.of(c, r, 16, false);
        long embed = (long) c.vocabSize() * c.hiddenSize() * Float.BYTES;
        assertEquals(embed, m.stages().get(0).weightBytes());
        assertEquals(MemoryBudget.RUNTIME_BYTES, m.fixedBytes());
        long perToken = (long) c.hiddenSize() * Float.BYTES + 1000;
        assertEquals(perToken, m.stages().get(1).heldPerToken());
        // the group size is the largest whose peak fits: one token more does not
        long budget = MemoryBudget.RUNTIME_BYTES + 50_000_000L;
        long tokens = m.tokensPerGroup(budget, 64, Path.of("x"));
        assertTrue(m.peak(tokens, 64) <= budget && m.peak(tokens + 1, 64) > budget, tokens + " tokens");
    }

    @Test
    void groupsKeepBatchOrderAndFitTheBudget() {
        List<int[][]> batches = List.of(new int[4][10], new int[4][10], new int[2][10], new int[8][10], new int[1][10]);
        List<int[]> g = StreamedModel.groups(TokenBatch.plain(batches), 80);
        assertEquals(List.of("0-2", "2-3", "3-4", "4-5"), g.stream().map(r -> r[0] + "-" + r[1]).toList());
        assertEquals(List.of("0-5"), StreamedModel.groups(TokenBatch.plain(batches), 1000).stream().map(r -> r[0] + "-" + r[1]).toList());
    }

    @Test
    void gpt2IsRefusedWithItsName() {
        Path gpt2 = ReferenceParityTest.FIXTURES.resolve("gpt2");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> StreamedModel.open(gpt2, Device.cpu(), BUDGET));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("Llama-family"), e.getMessage());
    }

    /** Scoring reads only the scored tokens' outputs; streamed, it gives the in-memory model's log-likelihoods. */
    @Test
    void scoringOnlyTheScoredTokensStreamsAsInMemory() throws IOException {
        Path dir = ReferenceParityTest.FIXTURES.resolve("llama");
        try (Model model = Checkpoints.load(dir, Device.cpu());
             StreamedModel streamed = StreamedModel.open(dir, Device.cpu(), BUDGET)) {
            int vocab = model.config().vocabSize();
            int[] prefix = tokens(12, vocab, 3);
            List<LoglikelihoodRequest> requests = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // pairs share the prefix (packed rows); the rest stand alone
                int[] tail = tokens(2 + i, vocab, 10 + i);
                int[] ctx = i % 2 == 0 ? tail : java.util.stream.IntStream.concat(Arrays.stream(prefix), Arrays.stream(tail)).toArray();
                requests.add(new LoglikelihoodRequest(ctx, tokens(1 + i % 3, vocab, 20 + i)));
            }
            List<Loglikelihood> a = new ModelScorer(model, 64, Progress.NONE).score(requests);
            List<Loglikelihood> b = new ModelScorer(streamed, 64, Progress.NONE).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertEquals(a.get(i).logProb(), b.get(i).logProb(), 0.0, "request " + i);
                assertEquals(a.get(i).greedy(), b.get(i).greedy(), "request " + i);
            }
        }
    }
}
