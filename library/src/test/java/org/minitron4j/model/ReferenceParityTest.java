package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.minitron4j.data.TokenSource;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;

/**
 * Parity with an independent PyTorch implementation of the Hugging Face architectures (src/test/python/hf_reference.py):
 * tiny random checkpoints in bf16/f16/f32, their float64 logits, losses and greedy continuations.
 */
class ReferenceParityTest {
    static final Path FIXTURES = Paths.get("src/test/resources/fixtures");
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode reference(String name) throws IOException {
        return JSON.readTree(FIXTURES.resolve(name).resolve("reference.json").toFile());
    }

    static int[][] ids(JsonNode arr) {
        int[][] out = new int[arr.size()][];
        for (int i = 0; i < arr.size(); i++) {
            out[i] = new int[arr.get(i).size()];
            for (int j = 0; j < out[i].length; j++) out[i][j] = arr.get(i).get(j).asInt();
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_sharded", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void logitsLossAndGreedyContinuationMatchTheReference(String name) throws IOException {
        JsonNode ref = reference(name);
        try (Model model = Checkpoints.load(FIXTURES.resolve(name), Device.cpu()); NDManager scope = NDManager.newBaseManager()) {
            int[][] input = ids(ref.get("input_ids"));
            NDArray logits = model.logits(scope.create(input));
            JsonNode positions = ref.get("logits_sample").get("positions");
            JsonNode values = ref.get("logits_sample").get("values");
            for (int p = 0; p < positions.size(); p++) {
                int b = positions.get(p).get(0).asInt(), t = positions.get(p).get(1).asInt();
                float[] row = logits.get(b).get(t).toFloatArray();
                for (int v = 0; v < row.length; v++) {
                    assertEquals(values.get(p).get(v).asDouble(), row[v], 1e-4, name + " logit [" + b + "," + t + "," + v + "]");
                }
            }
            // whole-batch loss with the same rule as the reference: predict ids[:, 1:] from ids[:, :-1]
            double nll = 0;
            long n = 0;
            for (int[] row : input) {
                LmLoss.Result r = LmLoss.evaluate(model, row, row.length, 1);
                nll += r.loss() * r.tokens();
                n += r.tokens();
            }
            assertEquals(ref.get("loss").asDouble(), nll / n, 1e-4, name + " loss");
            int[] prompt = ids(JSON.createArrayNode().add(ref.get("greedy_prompt")))[0];
            int[] expected = ids(JSON.createArrayNode().add(ref.get("greedy_continuation")))[0];
            assertArrayEquals(expected, Generator.generate(model,
                    prompt, new Generator.Options(expected.length, 0, 1, 0, false)), name + " greedy continuation");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tokens.bin", "tokens.npy"})
    void lmLossOverAPreTokenizedFileMatchesTheReference(String file) throws IOException {
        for (String name : new String[] {"llama", "gpt2", "nemotron"}) {
            JsonNode ref = reference(name).get("file_eval");
            try (Model model = Checkpoints.load(FIXTURES.resolve(name), Device.cpu())) {
                int[] tokens = TokenSource.read(FIXTURES.resolve(name).resolve(file), null);
                LmLoss.Result r = LmLoss.evaluate(model, tokens, ref.get("seq_len").asInt(), 3);
                assertEquals(ref.get("tokens_scored").asLong(), r.tokens(), name);
                assertEquals(ref.get("loss").asDouble(), r.loss(), 1e-4, name + " " + file);
            }
        }
    }

    @Test
    void lmLossOverTextDocumentsMatchesTheHarnessReference() throws IOException {
        // the reference: per document, lm-evaluation-harness's rolling windows with BOS as the prefix token, nothing
        // appended (hf_reference.py documents_eval, float64)
        JsonNode ref = reference("llama_tied").get("text_eval_documents");
        Path dir = FIXTURES.resolve("llama_tied");
        try (Model model = Checkpoints.load(dir, Device.cpu()); Tokenizer tok = Tokenizer.load(dir)) {
            TokenSource.Documents docs = TokenSource.documents(FIXTURES.resolve("wordlevel_tokenizer/sample.txt"), tok,
                    false);
            assertEquals(ref.get("documents").asInt(), docs.count());
            LmLoss.Result r = LmLoss.evaluate(model, docs, LmLossOptions.defaults().withSeqLen(ref.get("seq_len").asInt()).withBatchSize(2),
                    org.minitron4j.Progress.NONE);
            assertEquals(ref.get("tokens_scored").asLong(), r.tokens());
            assertEquals(ref.get("loss").asDouble(), r.loss(), 1e-5);
        }
    }

    @Test
    void lmLossOverATextFileMatchesTheReference() throws IOException {
        // the EOD stream: <s> doc </s> <s> doc </s> ..., windows across documents
        JsonNode ref = reference("llama_tied").get("text_eval");
        Path dir = FIXTURES.resolve("llama_tied");
        try (Model model = Checkpoints.load(dir, Device.cpu()); Tokenizer tok = Tokenizer.load(dir)) {
            int[] tokens = TokenSource.read(FIXTURES.resolve("wordlevel_tokenizer/sample.txt"), tok);
            LmLoss.Result r = LmLoss.evaluate(model, tokens, ref.get("seq_len").asInt(), 2);
            assertEquals(ref.get("tokens_scored").asLong(), r.tokens());
            assertEquals(ref.get("loss").asDouble(), r.loss(), 1e-4);
        }
    }
}
