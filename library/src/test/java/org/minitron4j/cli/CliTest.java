package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's public interface: exit codes, one JSON object on stdout, errors on stderr without stack traces. */
class CliTest {
    static final Path FIXTURES = Paths.get("src/test/resources/fixtures");

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            assertEquals(1, lines.length, "exactly one line on stdout: " + out);
            return Json.MAPPER.readTree(lines[0]);
        }
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void infoJsonGivesTheExactParameterCountAndTheConfig() throws Exception {
        Run r = run("info", "--model", FIXTURES.resolve("llama").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        long layer = 48L * 64 + 2 * 48L * 32 + 64L * 48 + 3 * 48L * 128 + 2 * 48;
        assertEquals(2 * layer + 2 * 128L * 48 + 48, j.get("parameters").asLong());
        assertEquals(16, j.get("config").get("head_dim").asInt());
    }

    @Test
    void evalLmLossJsonOnATokenFileMatchesTheReference() throws Exception {
        Path dir = FIXTURES.resolve("llama");
        Run r = run("eval", "--model", dir.toString(), "--task", "lm-loss", "--data", dir.resolve("tokens.bin").toString(),
                "--seq-len", "64", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        JsonNode ref = Json.MAPPER.readTree(dir.resolve("reference.json").toFile()).get("file_eval");
        assertEquals("lm-loss", j.get("task").asText());
        assertEquals(ref.get("loss").asDouble(), j.get("loss").asDouble(), 1e-4);
        assertEquals(Math.exp(j.get("loss").asDouble()), j.get("perplexity").asDouble(), 1e-9);
        assertEquals(299, j.get("tokens").asLong());
    }

    @Test
    void generateIsDeterministicForASeed() throws Exception {
        Path dir = FIXTURES.resolve("llama_tied");
        String[] args = {"generate", "--model", dir.toString(), "--prompt", "the", "--max-tokens", "5", "--temperature", "0.8",
            "--top-p", "0.9", "--seed", "42", "--json"};
        Run a = run(args), b = run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.json().get("tokens"), b.json().get("tokens"));
    }

    @Test
    void badInputExitsWithCode2AndAOneLineMessageWithoutStackTrace(@TempDir Path tmp) throws Exception {
        Run missing = run("info", "--model", tmp.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("config.json not found"), missing.err());
        assertTrue(!missing.err().contains("\tat "), "no stack trace: " + missing.err());

        Path corrupt = tmp.resolve("corrupt");
        Files.createDirectories(corrupt);
        Files.copy(FIXTURES.resolve("gpt2/config.json"), corrupt.resolve("config.json"));
        Files.write(corrupt.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Run bad = run("info", "--model", corrupt.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("model.safetensors"), bad.err());

        Run gpu = run("info", "--model", FIXTURES.resolve("llama").toString(), "--device", "gpu");
        assertEquals(2, gpu.code());
        assertTrue(gpu.err().contains("GPU"), gpu.err());

        Run task = run("eval", "--model", FIXTURES.resolve("llama").toString(), "--task", "mmlu", "--data",
                FIXTURES.resolve("llama/tokens.bin").toString());
        assertEquals(2, task.code());
        assertTrue(task.err().contains("unknown --task 'mmlu'"), task.err());

        Run usage = run("eval", "--model", FIXTURES.resolve("llama").toString());
        assertEquals(2, usage.code(), "a usage error is bad input too");
    }
}
