package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.DType;

class CheckpointsTest {
    @TempDir
    Path tmp;

    /** A pruned-looking shape: head_dim independent of hidden/heads, GQA, odd FFN width. */
    static final ModelConfig PRUNED = ModelConfig.llama(40, 24, 37, 3, 6, 2).withHeadDim(8);

    static NDArray logits(Model m, NDManager scope) {
        return m.logits(scope.create(new int[][] {{1, 5, 9, 13, 2, 7}}));
    }

    @Test
    void aModelWithNonDefaultShapesReloadsBitExactlyWithIdenticalLogits() throws IOException {
        try (Model model = Model.random(PRUNED, Device.cpu(), 11); NDManager scope = NDManager.newBaseManager()) {
            Checkpoints.save(model, tmp);
            JsonNode cfg = new ObjectMapper().readTree(tmp.resolve("config.json").toFile());
            assertEquals(8, cfg.get("head_dim").asInt());
            assertEquals(2, cfg.get("num_key_value_heads").asInt());
            assertEquals(37, cfg.get("intermediate_size").asInt());
            try (Model back = Checkpoints.load(tmp, Device.cpu())) {
                assertEquals(PRUNED, back.config());
                for (Map.Entry<String, NDArray> e : model.weights().entrySet()) {
                    assertArrayEquals(e.getValue().toFloatArray(), back.weight(e.getKey()).toFloatArray(), e.getKey());
                }
                assertArrayEquals(logits(model, scope).toFloatArray(), logits(back, scope).toFloatArray());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama_tied", "qwen2", "nemotron", "gpt2", "mistral"})
    void everyArchitectureSurvivesASaveAndReload(String name) {
        Path src = ReferenceParityTest.FIXTURES.resolve(name);
        try (Model model = Checkpoints.load(src, Device.cpu()); NDManager scope = NDManager.newBaseManager()) {
            Checkpoints.save(model, tmp, Checkpoints.SaveOptions.defaults().withMaxShardBytes(20_000));
            assertTrue(Files.exists(tmp.resolve("model.safetensors.index.json")), "sharded when over the limit");
            try (Model back = Checkpoints.load(tmp, Device.cpu())) {
                assertEquals(model.config(), back.config());
                assertArrayEquals(logits(model, scope).toFloatArray(), logits(back, scope).toFloatArray());
            }
        }
    }

    @Test
    void bf16SavingRoundsEachWeightToBf16() {
        try (Model model = Model.random(PRUNED, Device.cpu(), 12)) {
            Checkpoints.save(model, tmp, Checkpoints.SaveOptions.defaults().withDtype(DType.BF16));
            try (Model back = Checkpoints.load(tmp, Device.cpu())) {
                float[] a = model.weight(WeightNames.q(0) + ".weight").toFloatArray();
                float[] b = back.weight(WeightNames.q(0) + ".weight").toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    assertEquals(0, Float.floatToRawIntBits(b[i]) & 0xFFFF, "low 16 bits cleared");
                    assertEquals(a[i], b[i], Math.abs(a[i]) / 128f);
                }
            }
        }
    }

    @Test
    void parameterCountEqualsTheClosedFormForEveryFixture() {
        for (String name : new String[] {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"}) {
            try (Model model = Checkpoints.load(ReferenceParityTest.FIXTURES.resolve(name), Device.cpu())) {
                assertEquals(model.config().parameterCount(), model.parameterCount(), name);
            }
        }
        // hand count for the llama fixture: vocab 128, hidden 48, ffn 128, 2 layers, 4 heads × 16, 2 kv heads, untied
        long layer = 48L * 64 + 2 * 48L * 32 + 64L * 48 + 3 * 48L * 128 + 2 * 48;
        assertEquals(2 * layer + 2 * 128L * 48 + 48, ModelConfig.fromHuggingFace(ReferenceParityTest.FIXTURES.resolve("llama")).parameterCount());
    }

    private Path copyOf(String fixture) throws IOException {
        Path src = ReferenceParityTest.FIXTURES.resolve(fixture);
        Path dst = tmp.resolve(fixture);
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, dst.resolve(f.getFileName()));
            }
        }
        return dst;
    }

    private static String failure(Path dir) {
        return assertThrows(InvalidInputException.class, () -> Checkpoints.load(dir, Device.cpu()).close()).getMessage();
    }

    @Test
    void aMisshapedTensorIsNamedWithTheFile() throws IOException {
        Path dir = copyOf("qwen2");
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"intermediate_size\": 80", "\"intermediate_size\": 81"));
        String msg = failure(dir);
        assertTrue(msg.contains("model.safetensors") && msg.contains("mlp.gate_proj.weight") && msg.contains("81"), msg);
    }

    @Test
    void missingAndExtraTensorsAreNamed() throws IOException {
        Path dir = copyOf("llama_tied");
        Path cfg = dir.resolve("config.json");
        Files.writeString(cfg, Files.readString(cfg).replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        assertTrue(failure(dir).contains("missing tensor 'model.layers.2."), failure(dir));
        Files.writeString(cfg, Files.readString(cfg).replace("\"num_hidden_layers\": 3", "\"num_hidden_layers\": 1"));
        assertTrue(failure(dir).contains("unexpected tensors model.layers.1."), failure(dir));
    }

    @Test
    void unknownArchitectureTruncatedFileAndMissingConfigAreClearErrors() throws IOException {
        Path dir = copyOf("mistral");
        Path cfg = dir.resolve("config.json");
        String original = Files.readString(cfg);
        Files.writeString(cfg, original.replace("\"mistral\"", "\"mamba\"").replace("MistralForCausalLM", "MambaForCausalLM"));
        assertTrue(failure(dir).contains("unsupported architecture (model_type 'mamba'"), failure(dir));
        Files.writeString(cfg, original);
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        String msg = failure(dir);
        assertTrue(msg.contains("model.safetensors") && msg.contains("truncated"), msg);
        Files.delete(cfg);
        assertTrue(failure(dir).contains("config.json not found"), failure(dir));
    }
}
