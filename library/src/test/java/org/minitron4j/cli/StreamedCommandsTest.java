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
        // 1.3 GB: room for the runtime (1.1 GB) and this model, but not within 80% of the budget, so it is streamed
        CliTest.Run budget = CliTest.run(with(base, "--out", tmp.resolve("c").toString(), "--memory", "1300MB").toArray(String[]::new));
        assertEquals(0, memory.code(), memory.err());
        assertEquals(0, streamed.code(), streamed.err());
        assertEquals(0, budget.code(), budget.err());
        assertFalse(memory.err().contains("streaming one layer at a time"), memory.err());
        assertTrue(streamed.err().contains("streaming one layer at a time") && streamed.err().contains("streaming asked for"),
                streamed.err());
        assertTrue(budget.err().contains("streaming one layer at a time") && budget.err().contains("memory budget 1.3 GB"),
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

    /**
     * The recipe for checkpoints larger than memory, in miniature and all streamed: {@code init} a bf16
     * checkpoint (4 layers of the llama fixture's shape), {@code importance --stream}, surgery by width and by depth
     * ({@code prune --scores}), and {@code eval --stream} of each result, equal to the same eval in memory.
     */
    @Test
    void initImportancePruneAndEvalRunCheckpointToCheckpointStreamed() throws Exception {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, Files.readString(CliTest.FIXTURES.resolve("llama/config.json"))
                .replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 4"));
        Path base = tmp.resolve("base"), scores = tmp.resolve("scores"), data = tmp.resolve("tokens.bin");
        SearchCommandTest.writeBin(data, SearchCommandTest.stream(3000, 5));
        assertEquals(0, CliTest.run("init", "--config", config.toString(), "--dtype", "bf16", "--seed", "3", "--out",
                base.toString()).code());
        CliTest.Run imp = CliTest.run("importance", "--model", base.toString(), "--data", data.toString(), "--samples", "8",
                "--seq-len", "32", "--batch-size", "4", "--stream", "--out", scores.toString());
        assertEquals(0, imp.code(), imp.err());
        String[][] plans = {{"--hidden", "32", "--ffn", "64"}, {"--layers", "2"}};
        for (String[] plan : plans) {
            Path out = tmp.resolve("pruned-" + plan[0].substring(2));
            List<String> prune = new ArrayList<>(List.of("prune", "--model", base.toString(), "--scores", scores.toString(),
                    "--out", out.toString()));
            prune.addAll(List.of(plan));
            CliTest.Run p = CliTest.run(prune.toArray(String[]::new));
            assertEquals(0, p.code(), p.err());
            assertTrue(p.err().contains("without loading the model"), p.err());
            List<String> eval = List.of("eval", "--model", out.toString(), "--task", "lm-loss", "--data", data.toString(),
                    "--seq-len", "32", "--json");
            CliTest.Run memory = CliTest.run(eval.toArray(String[]::new));
            CliTest.Run streamed = CliTest.run(with(eval, "--stream").toArray(String[]::new));
            assertEquals(0, streamed.code(), streamed.err());
            assertEquals(memory.json(), streamed.json(), plan[0]);
        }
        assertTrue(Files.readString(tmp.resolve("pruned-layers/config.json")).contains("\"num_hidden_layers\" : 2"));
    }

    @Test
    void aBadMemoryBudgetIsABadInputNamingTheOption() {
        CliTest.Run r = CliTest.run("eval", "--model", TIED.toString(), "--task", "lm-loss", "--data",
                TIED.resolve("tokens.bin").toString(), "--memory", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--memory 'lots'"), r.err());
    }

    @Test
    void aBudgetTooSmallToStreamIsABadInputSayingWhatItNeeds() {
        Path dir = CliTest.FIXTURES.resolve("llama");
        Path out = tmp.resolve("small");
        CliTest.Run r = CliTest.run("importance", "--model", dir.toString(), "--data", dir.resolve("tokens.bin").toString(),
                "--samples", "6", "--seq-len", "16", "--memory", "10KB", "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("streaming one layer at a time"), r.err());
        assertTrue(r.err().contains(dir.toString()) && r.err().contains("too small to stream")
                && r.err().contains("--memory"), r.err());
        assertFalse(Files.exists(out.resolve("stats.bin")), "nothing written");
    }
}
