package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code importance} and {@code eval} with {@code --stream}, or with a {@code --memory} budget the model does not fit,
 * write what the in-memory run writes: the same statistics file byte for byte, the same loss and accuracies.
 */
class StreamedCommandsTest {
    @TempDir
    Path tmp;

    private static final Path TIED = CliTest.FIXTURES.resolve("llama_tied");

    private static List<String> with(List<String> args, String... more) {
        List<String> a = new ArrayList<>(args);
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void importanceStreamedWritesTheSameStatistics() throws Exception {
        Path dir = CliTest.FIXTURES.resolve("llama");
        List<String> base = List.of("importance", "--model", dir.toString(), "--data", dir.resolve("tokens.bin").toString(),
                "--samples", "6", "--seq-len", "16", "--batch-size", "4", "--json");
        CliTest.Run memory = CliTest.run(with(base, "--out", tmp.resolve("a").toString()).toArray(String[]::new));
        CliTest.Run streamed = CliTest.run(with(base, "--out", tmp.resolve("b").toString(), "--stream").toArray(String[]::new));
        CliTest.Run budget = CliTest.run(with(base, "--out", tmp.resolve("c").toString(), "--memory", "10KB").toArray(String[]::new));
        assertEquals(0, memory.code(), memory.err());
        assertEquals(0, streamed.code(), streamed.err());
        assertEquals(0, budget.code(), budget.err());
        assertFalse(memory.err().contains("streaming one layer at a time"), memory.err());
        assertTrue(streamed.err().contains("streaming one layer at a time") && streamed.err().contains("streaming asked for"),
                streamed.err());
        assertTrue(budget.err().contains("streaming one layer at a time") && budget.err().contains("memory budget 0.0 GB"),
                budget.err());
        byte[] expected = Files.readAllBytes(tmp.resolve("a/stats.bin"));
        assertArrayEquals(expected, Files.readAllBytes(tmp.resolve("b/stats.bin")));
        assertArrayEquals(expected, Files.readAllBytes(tmp.resolve("c/stats.bin")));
        assertEquals(Files.readString(tmp.resolve("a/block_importance.csv")), Files.readString(tmp.resolve("b/block_importance.csv")));
    }

    @Test
    void evalStreamedGivesTheSameLossAndAccuracies() throws Exception {
        List<List<String>> commands = List.of(
                List.of("eval", "--model", TIED.toString(), "--task", "lm-loss", "--data", TIED.resolve("tokens.bin").toString(),
                        "--seq-len", "32", "--json"),
                List.of("eval", "--model", TIED.toString(), "--task", "winogrande", "--data",
                        CliTest.FIXTURES.resolve("winogrande/dev.jsonl").toString(), "--json"));
        for (List<String> c : commands) {
            CliTest.Run memory = CliTest.run(c.toArray(String[]::new));
            CliTest.Run streamed = CliTest.run(with(c, "--stream").toArray(String[]::new));
            assertEquals(0, memory.code(), memory.err());
            assertEquals(0, streamed.code(), streamed.err());
            JsonNode a = memory.json(), b = streamed.json();
            assertEquals(a, b, c.get(4));
            assertTrue(streamed.err().contains("streaming"), streamed.err());
        }
    }

    @Test
    void aBadMemoryBudgetIsABadInputNamingTheOption() {
        CliTest.Run r = CliTest.run("eval", "--model", TIED.toString(), "--task", "lm-loss", "--data",
                TIED.resolve("tokens.bin").toString(), "--memory", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--memory 'lots'"), r.err());
    }
}
