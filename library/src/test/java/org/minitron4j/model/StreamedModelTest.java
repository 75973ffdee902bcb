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
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
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

    private static final long BUDGET = 1L << 30;

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

    @Test
    void bf16CheckpointGroupsAndSkippedLayersStreamAsInMemory() throws IOException {
        Path bf16 = tmp.resolve("bf16");
        try (Model src = Checkpoints.load(ReferenceParityTest.FIXTURES.resolve("llama"), Device.cpu())) {
            Checkpoints.save(src, bf16, Checkpoints.SaveOptions.defaults().withDtype(DType.BF16).withMaxShardBytes(20_000));
        }
        try (Model model = Checkpoints.load(bf16, Device.cpu());
             // room for the hidden states of about one batch: the windows go through the checkpoint in several groups
             StreamedModel tight = StreamedModel.open(bf16, Device.cpu(), 100_000)) {
            int[] data = tokens(3000, model.config().vocabSize(), 11);
            ActivationStats a = Calibration.run(model, data, new CalibrationOptions(12, 16, 2, 5, Calibration.DEFAULT_BLOCKS), Progress.NONE);
            List<String> stages = new ArrayList<>();
            ActivationStats b = Calibration.run(tight, data, new CalibrationOptions(12, 16, 2, 5, Calibration.DEFAULT_BLOCKS), (task, done, total, detail) -> stages.add(task + " " + detail));
            assertArrayEquals(statsBytes(a, "memory"), statsBytes(b, "streamed"));
            assertTrue(stages.stream().anyMatch(s -> s.contains("group 2 of")), "expected several groups: " + stages);

            Set<Integer> skip = Set.of(1);
            assertEquals(LmLoss.evaluate(model, data, new LmLossOptions(32, 4, skip), Progress.NONE).loss(),
                    LmLoss.evaluate(tight, data, new LmLossOptions(32, 4, skip), Progress.NONE).loss(), 0.0);
        }
    }

    @Test
    void groupsKeepBatchOrderAndFitTheBudget() {
        List<int[][]> batches = List.of(new int[4][10], new int[4][10], new int[2][10], new int[8][10], new int[1][10]);
        List<int[]> g = StreamedModel.groups(batches, 80);
        assertEquals(List.of("0-2", "2-3", "3-4", "4-5"), g.stream().map(r -> r[0] + "-" + r[1]).toList());
        assertEquals(List.of("0-5"), StreamedModel.groups(batches, 1000).stream().map(r -> r[0] + "-" + r[1]).toList());
    }

    @Test
    void gpt2AndBadBudgetsAreRefusedWithTheirNames() {
        Path gpt2 = ReferenceParityTest.FIXTURES.resolve("gpt2");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> StreamedModel.open(gpt2, Device.cpu(), BUDGET));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("Llama-family"), e.getMessage());
        assertThrows(InvalidInputException.class,
                () -> StreamedModel.open(ReferenceParityTest.FIXTURES.resolve("llama"), Device.cpu(), 0));
    }
}
