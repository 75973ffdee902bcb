package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

class InitCommandTest {
    @TempDir
    Path tmp;

    static final Path CONFIG = CliTest.FIXTURES.resolve("llama").resolve("config.json");

    @Test
    void initWritesAShardedLoadableFolderAndPrintsTheSummary() throws Exception {
        Path out = tmp.resolve("random");
        CliTest.Run r = CliTest.run("init", "--config", CONFIG.toString(), "--dtype", "f16", "--seed", "7",
                "--shard-size", "20KB", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        ModelConfig expected = ModelConfig.fromHuggingFace(CONFIG);
        assertEquals(out.toAbsolutePath().toString(), j.get("folder").asText());
        assertEquals(expected.parameterCount(), j.get("parameters").asLong());
        assertEquals("F16", j.get("dtype").asText());
        assertEquals(7, j.get("seed").asLong());
        assertFalse(j.get("tokenizer").asBoolean());
        assertTrue(j.get("seconds").asDouble() > 0);
        long bytes = 0, shards = 0;
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                bytes += Files.size(f);
                shards += f.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors") ? 1 : 0;
            }
        }
        assertEquals(bytes, j.get("bytes").asLong());
        assertEquals(shards, j.get("shards").asLong());
        assertTrue(shards > 1, "2 × 64 KB of f16 weights in 20 KB shards: " + shards);
        assertEquals(DType.F16, Checkpoints.storedDtype(out));
        try (Model m = Checkpoints.load(out, Device.cpu())) {
            assertEquals(expected, m.config());
        }

        // the same command again into another folder writes the same bytes
        Path again = tmp.resolve("again");
        CliTest.Run r2 = CliTest.run("init", "--config", CONFIG.toString(), "--dtype", "f16", "--seed", "7",
                "--shard-size", "20KB", "--out", again.toString(), "--threads", "1");
        assertEquals(0, r2.code(), r2.err());
        assertTrue(r2.out().contains("no tokenizer"), r2.out());
        String first = String.format("model-00001-of-%05d.safetensors", shards);
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(out.resolve(first)), Files.readAllBytes(again.resolve(first))));
    }

    @Test
    void badInitInputExitsWithCode2NamingTheFileOrValue() throws Exception {
        String cfg = CONFIG.toString(), o = tmp.resolve("x").toString();
        Path missing = tmp.resolve("none.json");
        PruneCommandTest.expect(missing + ": config.json not found", "init", "--config", missing.toString(), "--out", o);
        Path malformed = tmp.resolve("malformed.json");
        Files.writeString(malformed, "{\"model_type\": \"llama\",");
        PruneCommandTest.expect(malformed + ": not valid JSON", "init", "--config", malformed.toString(), "--out", o);
        Path incomplete = tmp.resolve("incomplete.json");
        Files.writeString(incomplete, "{\"model_type\": \"llama\", \"hidden_size\": 8}");
        PruneCommandTest.expect(incomplete + ": missing key 'num_attention_heads'", "init", "--config", incomplete.toString(),
                "--out", o);
        PruneCommandTest.expect("--dtype 'f8': unknown", "init", "--config", cfg, "--dtype", "f8", "--out", o);
        PruneCommandTest.expect("'abc' is not a long", "init", "--config", cfg, "--seed", "abc", "--out", o);
        PruneCommandTest.expect("--shard-size '5 parsecs'", "init", "--config", cfg, "--shard-size", "5 parsecs", "--out", o);
        PruneCommandTest.expect("threads must be >= 1, got 0", "init", "--config", cfg, "--threads", "0", "--out", o);
        Path full = tmp.resolve("full");
        Files.createDirectories(full);
        Files.writeString(full.resolve("weights.bin"), "keep");
        PruneCommandTest.expect(full.toAbsolutePath() + " is not empty", "init", "--config", cfg, "--out", full.toString());
        assertEquals("keep", Files.readString(full.resolve("weights.bin")));
        assertFalse(Files.exists(Path.of(o)), "nothing written on bad input");
    }

    @Test
    void shardSizesTakeHuggingFaceUnits() {
        assertEquals(5L << 30, ByteSizes.parse("--shard-size", "5GiB"));
        assertEquals(5_000_000_000L, ByteSizes.parse("--shard-size", "5GB"));
        assertEquals(500_000L, ByteSizes.parse("--shard-size", "500kb"));
        assertEquals(123L, ByteSizes.parse("--shard-size", "123"));
        assertEquals(8L << 30, ByteSizes.parse("--memory", "8G"), "a bare G is binary, as in -Xmx8g");
        assertEquals(512L << 20, ByteSizes.parse("--memory", "512m"));
        assertEquals(2_000_000_000_000L, ByteSizes.parse("--memory", "2TB"));
    }
}
