package org.minitron4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensors;
import org.minitron4j.checkpoint.SafeTensorsWriter;
import org.minitron4j.checkpoint.TensorInfo;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * Checkpoint-to-checkpoint surgery writes what in-memory surgery followed by a save in the source's type writes, bit
 * for bit, for every Llama-family fixture, element type, axis and source layout; and its kept elements are the
 * source's at the reported indices.
 */
public class CheckpointSurgeryTest {
    @TempDir
    Path tmp;

    static final List<String> ARCHS = List.of("llama", "llama_tied", "mistral", "qwen2", "nemotron");

    /** A fixture re-saved in {@code dtype} (sharded when {@code maxShardBytes} > 0), tokenizer files copied along. */
    Path source(String fixture, DType dtype, long maxShardBytes) {
        Path dir = tmp.resolve("src-" + fixture + "-" + dtype + "-" + maxShardBytes);
        try (Model m = Weights.fixture(fixture)) {
            Checkpoints.save(m, dir, Checkpoints.SaveOptions.defaults().withDtype(dtype).withMaxShardBytes(maxShardBytes)
                    .withTokenizerFrom(Weights.FIXTURES.resolve(fixture)));
        }
        return dir;
    }

    /** The in-memory path: load, {@link Pruner#prune}, save in {@code dtype} with the source's tokenizer files. */
    static PruneReport inMemory(Path source, Path out, PrunePlan plan, FixedRanking r, PruneOptions o, DType dtype) {
        try (Model m = Checkpoints.load(source, Device.cpu()); PruneResult res = Pruner.prune(m, plan, r, o)) {
            Checkpoints.save(res.model(), out, Checkpoints.SaveOptions.defaults().withDtype(dtype).withTokenizerFrom(source));
            return res.report();
        }
    }

    /** Both folders hold the same files; the JSON files and every tensor (name, order, type, shape, bytes) are equal. */
    public static void assertSameCheckpoint(Path expected, Path actual) throws IOException {
        assertEquals(fileNames(expected), fileNames(actual));
        for (String f : fileNames(expected)) {
            if (!f.endsWith(".safetensors")) {
                assertEquals(Files.readString(expected.resolve(f)), Files.readString(actual.resolve(f)), f);
            }
        }
        try (SafeTensors a = SafeTensors.open(expected); SafeTensors b = SafeTensors.open(actual)) {
            assertEquals(new ArrayList<>(a.names()), new ArrayList<>(b.names()));
            for (String name : a.names()) {
                TensorInfo x = a.info(name), y = b.info(name);
                assertEquals(x.dtype(), y.dtype(), name);
                assertArrayEquals(x.shape(), y.shape(), name);
                assertEquals(x.file().getFileName(), y.file().getFileName(), name);
                assertEquals(bytes(a, name), bytes(b, name), name);
            }
        }
    }

    static List<String> fileNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static ByteBuffer bytes(SafeTensors st, String name) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(st.info(name).byteLength()));
        st.readBytes(name, 0, b);
        return b.flip();
    }

    /** Runs both paths on one source and checks files and reports agree; returns the streaming output folder. */
    Path assertBothPathsAgree(Path source, PrunePlan plan, FixedRanking r, PruneOptions o, DType dtype) throws IOException {
        Path expected = Files.createTempDirectory(tmp, "expected"), actual = Files.createTempDirectory(tmp, "actual");
        PruneReport memory = inMemory(source, expected, plan, r, o, dtype);
        PruneReport streamed = CheckpointSurgery.prune(source, actual, plan, r, o);
        assertEquals(memory.toJsonNode(), streamed.toJsonNode());
        assertSameCheckpoint(expected, actual);
        return actual;
    }

    static Stream<Arguments> archsAndTypes() {
        return ARCHS.stream().flatMap(a -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(a, t)));
    }

    @ParameterizedTest
    @MethodSource("archsAndTypes")
    void everyAxisAtOnceMatchesInMemorySurgeryBitForBit(String arch, DType dtype) throws IOException {
        Path src = source(arch, dtype, 0);
        ModelConfig c = Weights.fixtureConfig(arch);
        Path out = assertBothPathsAgree(src, PrunerExactnessTest.everyAxis(c), FixedRanking.random(c, 11),
                PruneOptions.defaults(), dtype);
        try (SafeTensors st = SafeTensors.open(out)) {
            for (String name : st.names()) {
                assertEquals(dtype, st.info(name).dtype(), name); // stays in the source's type
            }
        }
    }

    @ParameterizedTest
    @MethodSource("archsAndTypes")
    void headMergeMatchesInMemorySurgeryBitForBit(String arch, DType dtype) throws IOException {
        Path src = source(arch, dtype, 0);
        ModelConfig c = Weights.fixtureConfig(arch);
        PrunePlan plan = PrunePlan.builder().numAttentionHeads(c.numAttentionHeads() / 2).build();
        assertBothPathsAgree(src, plan, FixedRanking.random(c, 12), PruneOptions.defaults().withHeadResidualMerge(true), dtype);
    }

    @Test
    void droppedLayersAndDroppedKvGroupsMatchInMemorySurgery() throws IOException {
        Path src = source("mistral", DType.BF16, 0); // 8 query heads in 2 KV groups
        ModelConfig c = Weights.fixtureConfig("mistral");
        assertBothPathsAgree(src, PrunePlan.builder().dropLayers(List.of(0)).build(), FixedRanking.random(c, 13),
                PruneOptions.defaults(), DType.BF16);
        assertBothPathsAgree(src, PrunePlan.builder().numAttentionHeads(4).numKeyValueHeads(1).hiddenSize(c.hiddenSize() / 2).build(),
                FixedRanking.random(c, 14), PruneOptions.defaults().withPruneKvGroups(true), DType.BF16);
    }

    @Test
    void shardedSourcesMatchInMemorySurgery() throws IOException {
        ModelConfig c = Weights.fixtureConfig("llama_sharded");
        PrunePlan plan = PrunerExactnessTest.everyAxis(c);
        assertBothPathsAgree(Weights.FIXTURES.resolve("llama_sharded"), plan, FixedRanking.random(c, 15),
                PruneOptions.defaults(), DType.BF16); // a bf16 fixture written by transformers
        Path src = source("llama", DType.BF16, 20_000); // several shards of at most 20 kB
        assertTrue(Files.exists(src.resolve(SafeTensors.INDEX_FILE)));
        c = Weights.fixtureConfig("llama");
        assertBothPathsAgree(src, PrunerExactnessTest.everyAxis(c), FixedRanking.random(c, 16), PruneOptions.defaults(), DType.BF16);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 300, 5000})
    void chunksOfAFewRowsGiveTheSameBytes(int chunkBytes) throws IOException {
        for (DType dtype : List.of(DType.BF16, DType.F32)) {
            Path src = source("qwen2", dtype, 0);
            ModelConfig c = Weights.fixtureConfig("qwen2");
            PrunePlan plan = PrunerExactnessTest.everyAxis(c);
            FixedRanking r = FixedRanking.random(c, 21);
            Path expected = tmp.resolve("whole-" + dtype), chunked = tmp.resolve("chunked-" + dtype);
            CheckpointSurgery.prune(src, expected, plan, r, PruneOptions.defaults());
            CheckpointSurgery.prune(src, chunked, plan, r, PruneOptions.defaults(), src, chunkBytes);
            assertSameCheckpoint(expected, chunked);
        }
    }

    /** Raw 16-bit element [row, col] of a 2-d bf16 tensor, read straight from the file. */
    static short element(SafeTensors st, String name, int row, int col) {
        long cols = st.info(name).shape()[1];
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
        st.readBytes(name, (row * cols + col) * 2, b);
        return b.getShort(0);
    }

    @Test
    void keptEntriesAreTheSourceEntriesAtTheReportedIndices() {
        Path src = source("llama", DType.BF16, 0);
        ModelConfig c = Weights.fixtureConfig("llama");
        PrunePlan plan = PrunePlan.builder().hiddenSize(40).intermediateSize(100).numAttentionHeads(2).numLayers(1).build();
        Path out = tmp.resolve("out");
        PruneReport r = CheckpointSurgery.prune(src, out, plan, FixedRanking.random(c, 17), PruneOptions.defaults());
        int l = r.keptLayers().get(0), hd = c.headDim();
        List<Integer> ch = r.keptChannels(), n = r.keptNeurons().get(l), heads = r.keptHeads().get(l);
        try (SafeTensors a = SafeTensors.open(src); SafeTensors b = SafeTensors.open(out)) {
            assertArrayEquals(new long[] {c.vocabSize(), 40}, b.info(WeightNames.EMBED).shape());
            for (int[] ij : new int[][] {{0, 0}, {5, 17}, {c.vocabSize() - 1, 39}}) {
                assertEquals(element(a, WeightNames.EMBED, ij[0], ch.get(ij[1])), element(b, WeightNames.EMBED, ij[0], ij[1]));
            }
            String down = WeightNames.down(0) + ".weight", srcDown = WeightNames.down(l) + ".weight";
            for (int[] ij : new int[][] {{0, 0}, {3, 50}, {39, 99}}) {
                assertEquals(element(a, srcDown, ch.get(ij[0]), n.get(ij[1])), element(b, down, ij[0], ij[1]));
            }
            // q row x of kept head i is row heads[i]·hd + x of the source
            String q = WeightNames.q(0) + ".weight", srcQ = WeightNames.q(l) + ".weight";
            assertEquals(element(a, srcQ, heads.get(1) * hd + 3, ch.get(7)), element(b, q, hd + 3, 7));
        }
    }

    @Test
    void theSourceIsUnchangedAndTheOutputLoads() throws IOException {
        Path src = source("qwen2", DType.BF16, 0);
        Map<String, ByteBuffer> before = new TreeMap<>();
        try (SafeTensors st = SafeTensors.open(src)) {
            st.names().forEach(n -> before.put(n, bytes(st, n)));
        }
        ModelConfig c = Weights.fixtureConfig("qwen2");
        PrunePlan plan = PrunerExactnessTest.everyAxis(c);
        CheckpointSurgery.prune(src, tmp.resolve("out"), plan, FixedRanking.random(c, 18), PruneOptions.defaults());
        try (SafeTensors st = SafeTensors.open(src)) {
            st.names().forEach(n -> assertEquals(before.get(n), bytes(st, n), n));
        }
        try (Model back = Checkpoints.load(tmp.resolve("out"), Device.cpu())) {
            assertEquals(plan.targetConfig(c), back.config());
        }
    }

    // ---- bad input -------------------------------------------------------------------------------------------------

    /** A copy of the f32 llama fixture whose weights are rewritten by {@code edit} (tensor name → f32 values). */
    Path edited(java.util.function.Consumer<Map<String, SafeTensorsWriter.NamedTensor>> edit) throws IOException {
        Path dir = tmp.resolve("edited");
        Files.createDirectories(dir);
        Files.copy(Weights.FIXTURES.resolve("llama/config.json"), dir.resolve("config.json"));
        Map<String, SafeTensorsWriter.NamedTensor> ts = new java.util.LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(Weights.FIXTURES.resolve("llama"))) {
            for (String n : st.names()) {
                ts.put(n, new SafeTensorsWriter.NamedTensor(n, st.info(n).shape(), st.readFloat32(n)));
            }
        }
        edit.accept(ts);
        SafeTensorsWriter.write(dir, new ArrayList<>(ts.values()), DType.F32, 0, Map.of());
        return dir;
    }

    static String pruneError(Path src, Path out) {
        ModelConfig c = ModelConfig.fromHuggingFace(src);
        return assertThrows(InvalidInputException.class, () -> CheckpointSurgery.prune(src, out,
                PrunePlan.builder().intermediateSize(64).build(), FixedRanking.random(c, 19), PruneOptions.defaults())).getMessage();
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        String up = WeightNames.up(1) + ".weight";
        Path src = edited(ts -> ts.remove(up));
        String m = pruneError(src, tmp.resolve("out"));
        assertTrue(m.contains("missing tensor '" + up + "'"), m);
        assertFalse(Files.exists(tmp.resolve("out").resolve(SafeTensors.SINGLE_FILE)));
    }

    @Test
    void aTensorOfTheWrongShapeIsNamed() throws IOException {
        String up = WeightNames.up(1) + ".weight";
        Path src = edited(ts -> ts.put(up, new SafeTensorsWriter.NamedTensor(up, new long[] {64, 48},
                java.nio.FloatBuffer.allocate(64 * 48))));
        String m = pruneError(src, tmp.resolve("out"));
        assertTrue(m.contains("tensor '" + up + "' has shape (64, 48) but config.json implies (128, 48)"), m);
    }

    @Test
    void aTruncatedFileIsNamed() throws IOException {
        Path src = source("llama", DType.BF16, 0);
        Path file = src.resolve(SafeTensors.SINGLE_FILE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        String m = pruneError(src, tmp.resolve("out"));
        assertTrue(m.contains(file.toString()) && m.contains("truncated"), m);
    }

    @Test
    void theSourceFolderAsOutputAndGpt2AreRejected() {
        Path src = source("llama", DType.BF16, 0);
        String m = pruneError(src, src.resolve("."));
        assertTrue(m.contains("is the source checkpoint folder"), m);
        Path gpt2 = Weights.FIXTURES.resolve("gpt2");
        ModelConfig c = Weights.fixtureConfig("gpt2");
        m = assertThrows(InvalidInputException.class, () -> CheckpointSurgery.prune(gpt2, tmp.resolve("g"),
                PrunePlan.builder().intermediateSize(8).build(), FixedRanking.random(c, 20), PruneOptions.defaults())).getMessage();
        assertTrue(m.contains("GPT-2 checkpoints") && m.contains("Pruner.prune"), m);
    }

    @Test
    void readingBeyondATensorIsRefused() {
        try (SafeTensors st = SafeTensors.open(Weights.FIXTURES.resolve("llama"))) {
            long n = st.info(WeightNames.EMBED).byteLength();
            assertThrows(IllegalArgumentException.class, () -> st.readBytes(WeightNames.EMBED, n - 2, ByteBuffer.allocate(4)));
        }
    }
}
