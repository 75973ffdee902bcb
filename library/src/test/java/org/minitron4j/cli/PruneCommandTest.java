package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.CheckpointSurgeryTest;

class PruneCommandTest {
    @TempDir
    Path tmp;

    static final Path TIED = CliTest.FIXTURES.resolve("llama_tied");

    @Test
    void pruneWritesALoadableFolderWithTokenizerAndReportAndPrintsTheReport() throws Exception {
        Path out = tmp.resolve("pruned");
        CliTest.Run r = CliTest.run("prune", "--model", TIED.toString(), "--ranking", "magnitude", "--hidden", "24",
                "--ffn", "64", "--heads", "2", "--drop-layers", "1", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        ModelConfig expected = ModelConfig.fromHuggingFace(TIED).withHiddenSize(24).withIntermediateSize(64).withHeads(2, 2)
                .withNumLayers(1);
        assertEquals(expected.parameterCount(), j.get("parameters_after").asLong());
        assertEquals("[0]", j.get("kept_layers").toString());
        assertEquals(2, j.get("kept_heads").get("0").size());
        assertEquals(24, j.get("config_diff").get("hidden_size").get("after").asInt());
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        assertEquals(j, Json.MAPPER.readTree(out.resolve(PruneCommand.REPORT_FILE).toFile()));
        try (Model back = Checkpoints.load(out, Device.cpu())) {
            assertEquals(expected, back.config());
        }

        // the report's plan replays the same pruning
        Path plan = tmp.resolve("plan.json");
        Files.writeString(plan, j.get("plan").toString());
        CliTest.Run again = CliTest.run("prune", "--model", TIED.toString(), "--ranking", "magnitude", "--plan", plan.toString(),
                "--out", tmp.resolve("again").toString(), "--json");
        assertEquals(0, again.code(), again.err());
        assertEquals(j.get("kept_hidden_channels"), again.json().get("kept_hidden_channels"));
        assertEquals(j.get("kept_neurons"), again.json().get("kept_neurons"));
    }

    @Test
    void pruneWithScoresGoesCheckpointToCheckpointAndWritesWhatInMemoryWrites() throws Exception {
        Path model = CliTest.FIXTURES.resolve("llama"), scores = tmp.resolve("scores"); // 4 query heads in 2 KV groups
        CliTest.Run imp = CliTest.run("importance", "--model", model.toString(), "--data", model.resolve("tokens.bin").toString(),
                "--samples", "4", "--seq-len", "16", "--batch-size", "4", "--out", scores.toString(), "--json");
        assertEquals(0, imp.code(), imp.err());
        String[] common = {"prune", "--model", model.toString(), "--tokenizer", TIED.toString(), "--scores", scores.toString(),
            "--hidden", "32", "--ffn", "96", "--heads", "2", "--layers", "1", "--merge-heads", "--json", "--out"};
        Path streamed = tmp.resolve("streamed"), loaded = tmp.resolve("loaded");
        CliTest.Run a = CliTest.run(concat(common, new String[] {streamed.toString()}));
        CliTest.Run b = CliTest.run(concat(common, new String[] {loaded.toString(), "--in-memory"}));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertTrue(a.err().contains("checkpoint to checkpoint"), a.err());
        assertFalse(b.err().contains("checkpoint to checkpoint"), b.err());
        JsonNode ja = a.json();
        assertEquals(b.json(), ja);
        assertEquals(2, ja.get("head_merges").size()); // one pruned head per group of the kept layer
        assertTrue(Files.exists(streamed.resolve("tokenizer.json")));
        Files.delete(streamed.resolve(PruneCommand.REPORT_FILE));
        Files.delete(loaded.resolve(PruneCommand.REPORT_FILE));
        CheckpointSurgeryTest.assertSameCheckpoint(loaded, streamed); // both in the fixture's bf16
        assertTrue(Files.readString(streamed.resolve("config.json")).contains("\"bfloat16\""));
    }

    static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void textOutputSummarisesTheConfigDiff() {
        CliTest.Run r = CliTest.run("prune", "--model", CliTest.FIXTURES.resolve("llama").toString(), "--ranking", "magnitude",
                "--layers", "1", "--out", tmp.resolve("p").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("num_hidden_layers: 2 -> 1"), r.out());
    }

    @Test
    void badPruneInputExitsWithCode2NamingTheProblem() {
        String model = TIED.toString(), o = tmp.resolve("x").toString();
        expect("scores.csv and scores.json not found", "prune", "--model", model, "--scores", tmp.toString(), "--ffn", "8", "--out", o);
        expect("nothing to prune", "prune", "--model", model, "--ranking", "magnitude", "--out", o);
        expect("hidden_size 1000 is larger than the model's 32", "prune", "--model", model, "--ranking", "magnitude", "--hidden", "1000", "--out", o);
        expect("--drop-layers: 'a' is not a layer index", "prune", "--model", model, "--ranking", "magnitude", "--drop-layers", "a", "--out", o);
        expect("not both", "prune", "--model", model, "--ranking", "magnitude", "--layers", "1", "--drop-layers", "1", "--out", o);
        expect("unknown --ranking 'random'", "prune", "--model", model, "--ranking", "random", "--ffn", "8", "--out", o);
        expect("exactly one of --scores DIR, --data FILE (calibrate first) or --ranking magnitude", "prune", "--model", model, "--ffn", "8", "--out", o);
        expect("is the source model folder", "prune", "--model", model, "--ranking", "magnitude", "--ffn", "8", "--out", model);
    }

    static void expect(String message, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(message), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void dropLayersAcceptsRangesListsAndMixes() {
        assertEquals(List.of(16, 17, 18), PruneCommand.parseLayers("16-18"));
        assertEquals(List.of(3, 5, 7), PruneCommand.parseLayers("3,5,7"));
        assertEquals(List.of(1, 4, 5, 6), PruneCommand.parseLayers("1, 4-6"));
    }
}
