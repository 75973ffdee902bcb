package org.minitron4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.minitron4j.checkpoint.SafeTensorsReaderTest.toArray;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.SafeTensorsWriter.NamedTensor;

/** Files written by {@link SafeTensorsWriter}, checked byte by byte and by reading them back. */
class SafeTensorsWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static NamedTensor tensor(String name, long[] shape, float... values) {
        return new NamedTensor(name, shape, FloatBuffer.wrap(values));
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(-26, 17)));
        }
        return a;
    }

    private List<String> fileNames() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void layoutIsHeaderPaddedToEightBytesThenContiguousLittleEndianData() throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("z", "last");
        metadata.put("format", "pt");
        SafeTensorsWriter.write(dir, List.of(tensor("w", new long[] {2}, 1.0f, -2.0f),
                tensor("a", new long[] {1, 1}, 0.5f)), DType.BF16, 0, metadata);

        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8);
        assertEquals(8 + n + 6, bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), "padded with spaces");
        assertTrue(header.length() - json.length() < 8);
        JsonNode root = JSON.readTree(json);
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("__metadata__", "w", "a"), keys);
        List<String> metaKeys = new ArrayList<>();
        root.get("__metadata__").fieldNames().forEachRemaining(metaKeys::add);
        assertEquals(List.of("format", "z"), metaKeys); // sorted: deterministic
        assertEquals("BF16", root.get("w").get("dtype").asText());
        assertEquals("[2]", root.get("w").get("shape").toString());
        assertEquals("[0,4]", root.get("w").get("data_offsets").toString());
        assertEquals("[1,1]", root.get("a").get("shape").toString());
        assertEquals("[4,6]", root.get("a").get("data_offsets").toString());
        int data = 8 + (int) n;
        assertEquals(0x3F80, b.getShort(data) & 0xFFFF);
        assertEquals(0xC000, b.getShort(data + 2) & 0xFFFF);
        assertEquals(0x3F00, b.getShort(data + 4) & 0xFFFF);
        assertEquals(List.of("model.safetensors"), fileNames()); // no temp files left
    }

    @Test
    void roundTripF32IsExactAndLeavesTheSourceBufferAlone() {
        float[] values = {0, -0.0f, 1, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f};
        FloatBuffer src = FloatBuffer.wrap(values);
        float[] big = random(3 * 1_000_000, 3); // more than one write chunk
        SafeTensorsWriter.write(dir, List.of(new NamedTensor("v", new long[] {8}, src),
                tensor("big", new long[] {1000, 3000}, big)), DType.F32, 0, Map.of("format", "pt"));
        assertEquals(0, src.position());
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertEquals(DType.F32, st.info("v").dtype());
            assertArrayEquals(values, toArray(st.readFloat32("v")));
            assertArrayEquals(new long[] {1000, 3000}, st.info("big").shape());
            assertArrayEquals(big, toArray(st.readFloat32("big")));
        }
    }

    @Test
    void roundTripF16AndBf16GiveTheRoundedValues() {
        float[] values = random(100_000, 4);
        values[0] = 65520f; // overflows to inf in f16
        values[1] = 0x1p-25f; // ties to zero in f16
        values[2] = 1 + 0x1p-8f; // ties to 1 in bf16
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            Path out = dir.resolve(dtype.name());
            SafeTensorsWriter.write(out, List.of(tensor("x", new long[] {values.length}, values)), dtype, 0, null);
            float[] expected = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                expected[i] = dtype == DType.F16
                        ? Float16Reference.halfFloat(Float16Reference.toHalf(values[i]) & 0xFFFF)
                        : Float.intBitsToFloat((Float16Reference.toBf16(values[i]) & 0xFFFF) << 16);
            }
            try (SafeTensors st = SafeTensors.open(out)) {
                assertEquals(dtype, st.info("x").dtype());
                assertEquals(Map.of(), st.metadata());
                assertArrayEquals(expected, toArray(st.readFloat32("x")), dtype.name());
            }
        }
    }

    @Test
    void shardsGreedilyWithIndexAndReadsBack() throws IOException {
        List<NamedTensor> tensors = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tensors.add(tensor("t" + i, new long[] {2, 3}, random(6, i))); // 24 bytes each in F32
        }
        tensors.add(tensor("huge", new long[] {20}, random(20, 9))); // 80 bytes: over the limit, a shard of its own
        SafeTensorsWriter.write(dir, tensors, DType.F32, 50, Map.of("format", "pt"));

        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                "model.safetensors.index.json"), fileNames());
        JsonNode index = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(5 * 24 + 80, index.get("metadata").get("total_size").asLong());
        Map<String, String> expectedMap = new LinkedHashMap<>();
        expectedMap.put("t0", "model-00001-of-00004.safetensors");
        expectedMap.put("t1", "model-00001-of-00004.safetensors");
        expectedMap.put("t2", "model-00002-of-00004.safetensors");
        expectedMap.put("t3", "model-00002-of-00004.safetensors");
        expectedMap.put("t4", "model-00003-of-00004.safetensors");
        expectedMap.put("huge", "model-00004-of-00004.safetensors");
        assertEquals(expectedMap, JSON.convertValue(index.get("weight_map"), Map.class));
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertEquals(List.of("t0", "t1", "t2", "t3", "t4", "huge"), List.copyOf(st.names()));
            assertEquals(Map.of("format", "pt"), st.metadata());
            for (NamedTensor t : tensors) {
                assertEquals(dir.resolve(expectedMap.get(t.name())), st.info(t.name()).file());
                assertArrayEquals(t.shape(), st.info(t.name()).shape());
                assertArrayEquals(toArray(t.data()), toArray(st.readFloat32(t.name())));
            }
        }
    }

    @Test
    void aNewSaveRemovesStaleCheckpointFilesOnly() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("model_notes.safetensors.txt"), "keep");
        List<NamedTensor> tensors = List.of(tensor("a", new long[] {4}, 1, 2, 3, 4),
                tensor("b", new long[] {4}, 5, 6, 7, 8), tensor("c", new long[] {4}, 9, 10, 11, 12));

        SafeTensorsWriter.write(dir, tensors, DType.F32, 16, null); // 3 shards
        assertEquals(new TreeSet<>(List.of("config.json", "model_notes.safetensors.txt",
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json")), new TreeSet<>(fileNames()));

        SafeTensorsWriter.write(dir, tensors, DType.F32, 0, null); // single file
        assertEquals(List.of("config.json", "model.safetensors", "model_notes.safetensors.txt"), fileNames());
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertArrayEquals(new float[] {9, 10, 11, 12}, toArray(st.readFloat32("c")));
        }

        SafeTensorsWriter.write(dir, tensors, DType.BF16, 16, null); // 8 bytes each: 2 shards
        assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json", "model_notes.safetensors.txt"), fileNames());
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertEquals(DType.BF16, st.info("a").dtype());
            assertArrayEquals(new float[] {9, 10, 11, 12}, toArray(st.readFloat32("c")));
        }
    }

    @Test
    void rejectsUnwritableDtypeAndMismatchedTensors() {
        List<NamedTensor> ok = List.of(tensor("a", new long[] {1}, 1));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> SafeTensorsWriter.write(dir, ok, DType.I32, 0, null));
        assertTrue(e.getMessage().contains("I32") && e.getMessage().contains(dir.toString()), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(dir,
                List.of(tensor("a", new long[] {3}, 1, 2)), DType.F32, 0, null));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.write(dir,
                List.of(tensor("a", new long[] {1}, 1), tensor("a", new long[] {1}, 2)), DType.F32, 0, null));
    }
}
