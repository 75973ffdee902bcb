package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.Float16Reference;
import org.minitron4j.checkpoint.SafeTensors;

class RandomCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * A config.json with every optional tensor: GQA (6 heads in 2 groups), head_dim 8 independent of hidden / heads,
     * q/k/v/o and MLP biases, tied embeddings; an odd hidden size so tensors have odd element counts.
     */
    static ObjectNode config(int vocab, int hidden, int ffn, int layers, double initializerRange) {
        ObjectNode c = ModelConfig.llama(vocab, 24, ffn, layers, 6, 2).withHeadDim(8).toHuggingFace();
        c.put("hidden_size", hidden);
        c.put("attention_bias", true);
        c.put("mlp_bias", true);
        c.put("tie_word_embeddings", true);
        c.put("initializer_range", initializerRange);
        c.put("transformers_version", "4.44.0"); // a key the project does not read: kept as given
        return c;
    }

    private Path write(ObjectNode config, String name) throws IOException {
        Path f = tmp.resolve(name + ".json");
        JSON.writeValue(f.toFile(), config);
        return f;
    }

    private static RandomCheckpoint.Options options(DType dtype, long seed) {
        return RandomCheckpoint.Options.defaults().withDtype(dtype).withSeed(seed);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"})
    void theFolderLoadsInEveryDtypeWithTheConfigsParametersGainsOneAndBiasesZero(DType dtype) throws IOException {
        Path cfg = write(config(50, 25, 37, 2, 0.05), "config");
        Path out = tmp.resolve("model");
        RandomCheckpoint.Summary s = RandomCheckpoint.write(cfg, out, options(dtype, 3));
        ModelConfig expected = ModelConfig.fromHuggingFace(cfg);
        assertEquals(expected.parameterCount(), s.parameters());
        assertEquals(out.toAbsolutePath(), s.folder());
        assertEquals(1, s.shards());
        assertTrue(Files.exists(out.resolve(SafeTensors.SINGLE_FILE)));
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
        assertTrue(Files.exists(out.resolve("generation_config.json")));
        long bytes;
        try (Stream<Path> files = Files.list(out)) {
            bytes = files.mapToLong(f -> f.toFile().length()).sum();
        }
        assertEquals(bytes, s.bytes());
        JsonNode written = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals(Map.of(DType.F32, "float32", DType.F16, "float16", DType.BF16, "bfloat16").get(dtype),
                written.get("torch_dtype").asText());
        assertEquals("4.44.0", written.get("transformers_version").asText());
        assertEquals(0.05, written.get("initializer_range").asDouble());
        assertEquals(dtype, Checkpoints.storedDtype(out));
        try (Model m = Checkpoints.load(out, Device.cpu())) {
            assertEquals(expected, m.config());
            assertEquals(expected.parameterCount(), m.parameterCount());
            for (Map.Entry<String, NDArray> e : m.weights().entrySet()) {
                float[] w = e.getValue().toFloatArray();
                String name = e.getKey();
                if (name.endsWith(".bias")) {
                    assertArrayEquals(new float[w.length], w, name);
                } else if (WeightNames.isNorm(name)) {
                    for (float v : w) {
                        assertEquals(1f, v, name);
                    }
                } else {
                    assertTrue(stats(w)[1] > 0.03 && stats(w)[1] < 0.07, name + ": std " + stats(w)[1]);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron"})
    void tensorNamesShapesAndDtypeAreThoseOfTheRealCheckpoint(String fixture) {
        Path src = ReferenceParityTest.FIXTURES.resolve(fixture), out = tmp.resolve(fixture);
        DType stored = Checkpoints.storedDtype(src);
        RandomCheckpoint.write(src.resolve("config.json"), out, options(stored, 1));
        try (SafeTensors real = SafeTensors.open(src); SafeTensors made = SafeTensors.open(out)) {
            assertEquals(new java.util.TreeSet<>(real.names()), new java.util.TreeSet<>(made.names()));
            for (String name : real.names()) {
                assertArrayEquals(real.info(name).shape(), made.info(name).shape(), name);
                assertEquals(real.info(name).dtype(), made.info(name).dtype(), name);
            }
            if (fixture.equals("nemotron")) { // LayerNorm1P multiplies by w + 1: a unit gain is stored as 0
                FloatBuffer gain = made.readFloat32(WeightNames.FINAL_NORM + ".weight");
                while (gain.hasRemaining()) {
                    assertEquals(0f, gain.get());
                }
            }
        }
        try (Model m = Checkpoints.load(out, Device.cpu())) {
            assertEquals(ModelConfig.fromHuggingFace(src), m.config());
        }
    }

    @Test
    void shardsLikeRealCheckpointsWithAnIndexOfTotalSizeAndWeightMap() throws IOException {
        Path cfg = write(config(50, 25, 37, 3, 0.02), "config");
        Path out = tmp.resolve("sharded");
        RandomCheckpoint.Summary s = RandomCheckpoint.write(cfg, out, options(DType.BF16, 5).withMaxShardBytes(4000));
        assertFalse(Files.exists(out.resolve(SafeTensors.SINGLE_FILE)));
        JsonNode index = JSON.readTree(out.resolve(SafeTensors.INDEX_FILE).toFile());
        Map<String, String> weightMap = new TreeMap<>();
        index.get("weight_map").fields().forEachRemaining(e -> weightMap.put(e.getKey(), e.getValue().asText()));
        assertEquals(new java.util.TreeSet<>(WeightNames.layout(s.config()).keySet()), weightMap.keySet());
        int n = s.shards();
        assertTrue(n > 3, "shards: " + n);
        long total = 0;
        Map<String, Integer> perFile = new HashMap<>();
        for (int i = 1; i <= n; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i, n);
            try (SafeTensors shard = SafeTensors.open(out.resolve(file))) {
                for (String name : shard.names()) {
                    assertEquals(file, weightMap.get(name), name);
                    total += shard.info(name).byteLength();
                }
                perFile.put(file, shard.names().size());
            }
            assertTrue(Files.size(out.resolve(file)) < 4000 + 2000, file + " is about one shard (data + header)");
        }
        assertEquals(weightMap.size(), perFile.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(2L * s.parameters(), total);
        assertEquals(total, index.get("metadata").get("total_size").asLong());
        try (Model m = Checkpoints.load(out, Device.cpu())) {
            assertEquals(s.parameters(), m.parameterCount());
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesWhateverTheChunkSizeAndThreadCount() throws IOException {
        Path cfg = write(config(101, 25, 37, 2, 0.02), "config"); // embedding: 2525 values, more than the chunks below
        RandomCheckpoint.Options opts = options(DType.F32, 42);
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c"), other = tmp.resolve("other");
        RandomCheckpoint.write(cfg, a, opts.withThreads(1));
        RandomCheckpoint.write(cfg, b, opts.withThreads(3), 777);
        RandomCheckpoint.write(cfg, c, opts.withThreads(2), 1);
        RandomCheckpoint.write(cfg, other, opts.withSeed(43));
        for (String f : List.of(SafeTensors.SINGLE_FILE, "config.json", "generation_config.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(c.resolve(f)), f);
        }
        try (SafeTensors x = SafeTensors.open(a); SafeTensors y = SafeTensors.open(other)) {
            float[] q = floats(x, WeightNames.q(0) + ".weight"), k = floats(x, WeightNames.k(0) + ".weight");
            float[] qOther = floats(y, WeightNames.q(0) + ".weight");
            assertFalse(java.util.Arrays.equals(q, qOther), "another seed, other values");
            assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOf(q, k.length), k), "each tensor its own values");
        }
    }

    @Test
    void valuesAreNormalWithTheConfigsInitializerRangeAndUncorrelated() throws IOException {
        ObjectNode c = config(4096, 256, 64, 1, 0.05);
        c.put("tie_word_embeddings", false);
        Path out = tmp.resolve("stats");
        RandomCheckpoint.write(write(c, "config"), out, options(DType.F32, 9));
        try (SafeTensors st = SafeTensors.open(out)) {
            float[] e = floats(st, WeightNames.EMBED), h = floats(st, WeightNames.LM_HEAD);
            int n = e.length; // 1 Mi values: the mean's standard error is 0.05 / 1024
            double[] s = stats(e);
            assertEquals(0, s[0], 4 * 0.05 / Math.sqrt(n), "mean");
            assertEquals(0.05, s[1], 0.05 * 0.005, "std");
            // the normal's mass within 1σ and beyond 3σ (binomial standard errors 4.6e-4 and 5.1e-5)
            assertEquals(0.682689, fraction(e, 0.05), 0.002, "within 1 sigma");
            assertEquals(0.0026998, 1 - fraction(e, 0.15), 0.0003, "beyond 3 sigma");
            assertEquals(0, correlation(e, 0, e, 1, n - 1), 0.005, "neighbours (one Box-Muller pair or two)");
            assertEquals(0, correlation(e, 0, h, 0, n), 0.005, "two tensors");
        }
        // without initializer_range: transformers' default 0.02
        c.remove("initializer_range");
        Path plain = tmp.resolve("plain");
        RandomCheckpoint.write(write(c, "default"), plain, options(DType.F32, 9));
        try (SafeTensors st = SafeTensors.open(plain)) {
            assertEquals(0.02, stats(floats(st, WeightNames.EMBED))[1], 0.02 * 0.005);
        }
    }

    @Test
    void halfPrecisionValuesAreTheF32ValuesRoundedToNearestEven() throws IOException {
        Path cfg = write(config(300, 25, 37, 1, 0.02), "config");
        Map<DType, Path> out = new HashMap<>();
        for (DType t : List.of(DType.F32, DType.BF16, DType.F16)) {
            out.put(t, tmp.resolve(t.name()));
            RandomCheckpoint.write(cfg, out.get(t), options(t, 17));
        }
        try (SafeTensors f32 = SafeTensors.open(out.get(DType.F32)); SafeTensors bf16 = SafeTensors.open(out.get(DType.BF16));
             SafeTensors f16 = SafeTensors.open(out.get(DType.F16))) {
            int checked = 0;
            for (String name : f32.names()) {
                float[] x = floats(f32, name);
                short[] b = halves(bf16, name), h = halves(f16, name);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float16Reference.toBf16(x[i]), b[i], name + "[" + i + "] bf16 of " + x[i]);
                    assertEquals(Float16Reference.toHalf(x[i]), h[i], name + "[" + i + "] f16 of " + x[i]);
                }
                checked += x.length;
            }
            assertEquals(ModelConfig.fromHuggingFace(cfg).parameterCount(), checked);
        }
    }

    @Test
    void memoryStaysAFewChunksWhateverTheModelSize() throws IOException {
        // 67 M parameters: 268 MB as f32 arrays, 134 MB written as bf16
        ObjectNode c = ModelConfig.llama(32768, 1024, 64, 1, 8, 8).toHuggingFace();
        Path cfg = write(c, "big");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        // one thread: every value is generated, converted and written on this thread
        RandomCheckpoint.Summary s = RandomCheckpoint.write(cfg, tmp.resolve("big"), options(DType.BF16, 1).withThreads(1));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(s.parameters() > 67_000_000, "parameters: " + s.parameters());
        assertTrue(allocated < 32L << 20, "allocated " + allocated + " bytes on the heap for " + s.bytes() + " written");
    }

    @Test
    void refusesANonEmptyFolderGpt2AndABadInitializerRangeNamingThem() throws IOException {
        Path cfg = write(config(50, 25, 37, 1, 0.02), "config");
        Path full = tmp.resolve("full");
        Files.createDirectories(full);
        Files.writeString(full.resolve("keep.txt"), "mine");
        String msg = assertThrows(InvalidInputException.class,
                () -> RandomCheckpoint.write(cfg, full, options(DType.BF16, 0))).getMessage();
        assertTrue(msg.contains(full.toString()) && msg.contains("not empty"), msg);
        assertEquals("mine", Files.readString(full.resolve("keep.txt")));

        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        RandomCheckpoint.write(cfg, empty, options(DType.BF16, 0)); // an empty folder is filled
        assertTrue(Files.exists(empty.resolve(SafeTensors.SINGLE_FILE)));
        try (Stream<Path> left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary folder left");
        }

        Path gpt2 = ReferenceParityTest.FIXTURES.resolve("gpt2").resolve("config.json");
        msg = assertThrows(InvalidInputException.class,
                () -> RandomCheckpoint.write(gpt2, tmp.resolve("g"), options(DType.BF16, 0))).getMessage();
        assertTrue(msg.contains(gpt2.toString()) && msg.contains("GPT-2"), msg);

        ObjectNode bad = config(50, 25, 37, 1, 0.02);
        bad.put("initializer_range", "big");
        Path badFile = write(bad, "bad");
        msg = assertThrows(InvalidInputException.class,
                () -> RandomCheckpoint.write(badFile, tmp.resolve("b"), options(DType.BF16, 0))).getMessage();
        assertTrue(msg.contains(badFile.toString()) && msg.contains("initializer_range"), msg);
        assertFalse(Files.exists(tmp.resolve("b")));
    }

    private static float[] floats(SafeTensors st, String name) {
        FloatBuffer b = st.readFloat32(name);
        float[] a = new float[b.remaining()];
        b.get(a);
        return a;
    }

    private static short[] halves(SafeTensors st, String name) {
        ByteBuffer bytes = ByteBuffer.allocate((int) st.info(name).byteLength());
        st.readBytes(name, 0, bytes);
        short[] s = new short[bytes.capacity() / 2];
        bytes.flip().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return s;
    }

    /** Mean and standard deviation. */
    private static double[] stats(float[] x) {
        double sum = 0, sq = 0;
        for (float v : x) {
            sum += v;
            sq += (double) v * v;
        }
        double mean = sum / x.length;
        return new double[] {mean, Math.sqrt(sq / x.length - mean * mean)};
    }

    private static double fraction(float[] x, double bound) {
        long in = 0;
        for (float v : x) {
            in += Math.abs(v) < bound ? 1 : 0;
        }
        return (double) in / x.length;
    }

    private static double correlation(float[] x, int xFrom, float[] y, int yFrom, int n) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        for (int i = 0; i < n; i++) {
            double a = x[xFrom + i], b = y[yFrom + i];
            sx += a;
            sy += b;
            sxx += a * a;
            syy += b * b;
            sxy += a * b;
        }
        double cov = sxy / n - sx / n * sy / n;
        return cov / Math.sqrt((sxx / n - sx / n * sx / n) * (syy / n - sy / n * sy / n));
    }
}
