package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertFalse(j.get("append_eos").asBoolean(), "token ids are scored as given");
        assertEquals(1, j.get("documents").asInt());
    }

    @Test
    void evalLmLossOnTextScoresDocumentsApartWithNothingAppendedOrAsAnEodStream() throws Exception {
        Path dir = FIXTURES.resolve("llama_tied"); // a Llama checkpoint whose tokenizer puts <s> first
        JsonNode refs = Json.MAPPER.readTree(dir.resolve("reference.json").toFile());
        String text = FIXTURES.resolve("wordlevel_tokenizer/sample.txt").toString();

        Run plain = run("eval", "--model", dir.toString(), "--task", "lm-loss", "--data", text, "--seq-len", "16",
                "--json");
        assertEquals(0, plain.code(), plain.err());
        JsonNode j = plain.json();
        JsonNode ref = refs.get("text_eval_documents"); // independent: PyTorch, the harness's rolling windows, BOS only
        assertEquals(ref.get("loss").asDouble(), j.get("loss").asDouble(), 1e-5);
        assertEquals(ref.get("tokens_scored").asLong(), j.get("tokens").asLong());
        assertFalse(j.get("append_eos").asBoolean());
        assertTrue(j.get("append_eos").isBoolean());
        assertEquals(4, j.get("documents").asInt());
        assertEquals(16, j.get("seq_len").asInt());
        assertEquals(text, j.get("data").asText());

        Run eod = run("eval", "--model", dir.toString(), "--task", "lm-loss", "--data", text, "--seq-len", "16",
                "--append-eos", "--json");
        assertEquals(0, eod.code(), eod.err());
        JsonNode e = eod.json();
        JsonNode eodRef = refs.get("text_eval"); // <s> doc </s> ... as one stream (Megatron's EOD)
        assertEquals(eodRef.get("loss").asDouble(), e.get("loss").asDouble(), 1e-5);
        assertEquals(eodRef.get("tokens_scored").asLong(), e.get("tokens").asLong());
        assertTrue(e.get("append_eos").asBoolean());
        assertEquals(4, e.get("documents").asInt());
        assertTrue(Math.abs(e.get("loss").asDouble() - j.get("loss").asDouble()) > 1e-3, "the conventions differ");
    }

    @Test
    void appendEosNeedsTextData() {
        Path dir = FIXTURES.resolve("llama");
        Run r = run("eval", "--model", dir.toString(), "--task", "lm-loss", "--data", dir.resolve("tokens.bin").toString(),
                "--append-eos");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--append-eos") && r.err().contains("tokens.bin"), r.err());
    }

    @Test
    void emptyTaskFilesAreBadInputNamingTheFile(@TempDir Path tmp) throws Exception {
        Path model = FIXTURES.resolve("llama_tied");
        Path empty = tmp.resolve("empty.jsonl");
        Files.writeString(empty, "");
        Path blank = tmp.resolve("blank.jsonl");
        Files.writeString(blank, "\n  \n\n");
        for (String task : new String[] {"winogrande", "multiple-choice"}) {
            for (Path f : new Path[] {empty, blank}) {
                Run r = run("eval", "--model", model.toString(), "--task", task, "--data", f.toString(), "--json");
                assertEquals(2, r.code(), task + " " + f + ": " + r.out() + r.err());
                assertTrue(r.err().contains(f.toString()) && r.err().contains("no items"), r.err());
                assertEquals("", r.out(), "no JSON for bad input");
            }
        }
        Run fewshot = run("eval", "--model", model.toString(), "--task", "winogrande", "--data",
                FIXTURES.resolve("winogrande/dev.jsonl").toString(), "--shots", "1", "--fewshot-data", empty.toString());
        assertEquals(2, fewshot.code());
        assertTrue(fewshot.err().contains(empty.toString()), fewshot.err());
    }

    @Test
    void aMetricWithoutAValueIsJsonNullNeverTheStringNaN() throws Exception {
        // one item: the standard error (ddof = 1) is undefined
        Run r = run("eval", "--model", FIXTURES.resolve("llama_tied").toString(), "--task", "winogrande", "--data",
                FIXTURES.resolve("winogrande/dev.jsonl").toString(), "--limit", "1", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.json().get("acc_stderr").isNull(), r.out());
        assertTrue(r.json().get("acc").isNumber(), r.out());
        assertFalse(r.out().contains("NaN"), r.out());
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
