package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.Progress;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.search.ArchitectureSearch;
import tech.tablesaw.api.Table;

class SearchCommandTest {
    /** 3 layers, hidden 32, ffn 64, 4 query heads in 2 KV groups, vocab 32. */
    static final ModelConfig BASE = ModelConfig.llama(32, 32, 64, 3, 4, 2);
    static final long BUDGET = Math.round(BASE.parameterCount() * 0.7);

    @TempDir
    static Path shared;
    static Path model, scores, train, validation;

    @BeforeAll
    static void setUp() throws Exception {
        model = shared.resolve("model");
        scores = shared.resolve("scores");
        train = shared.resolve("train.bin");
        validation = shared.resolve("validation.bin");
        int[] t = stream(3000, 1), v = stream(300, 2);
        writeBin(train, t);
        writeBin(validation, v);
        try (Model m = Model.random(BASE, Device.cpu(), 5)) {
            Checkpoints.save(m, model);
            Calibration.run(m, t, new CalibrationOptions(8, 16, 4, 0, Calibration.DEFAULT_BLOCKS), Progress.NONE).scores().save(scores);
        }
    }

    static int[] stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(10) == 0 ? r.nextInt(32) : (i * 5) % 17 + 3;
        }
        return t;
    }

    static void writeBin(Path file, int[] tokens) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(tokens.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int t : tokens) {
            b.putShort((short) t);
        }
        Files.write(file, b.array());
    }

    @Test
    void searchWithRetrainingWritesTheTablesJsonAndPageAndPrintsTheBestCandidate(@TempDir Path out) throws Exception {
        CliTest.Run r = CliTest.run("search", "--model", model.toString(), "--scores", scores.toString(), "--params",
                Long.toString(BUDGET), "--tolerance", "0.1", "--candidates", "3", "--tokens", "128", "--data", train.toString(),
                "--validation", validation.toString(), "--seq-len", "16", "--batch-size", "2", "--eval-every", "2",
                "--lr", "3e-3", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        for (String f : new String[] {SearchCommand.LEADERBOARD, SearchCommand.STABILITY, SearchCommand.CURVES,
            SearchCommand.JSON_FILE, SearchCommand.HTML}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        Table board = Table.read().csv(out.resolve(SearchCommand.LEADERBOARD).toFile());
        Table stability = Table.read().csv(out.resolve(SearchCommand.STABILITY).toFile());
        assertEquals(3, board.rowCount());
        assertEquals(3, stability.rowCount(), "steps 0, 2 and 4"); // 128 tokens / (2 × 16) = 4 steps
        assertEquals(4, j.get("retrain_steps").asInt());
        assertEquals(board.stringColumn("candidate").get(0), j.get("best").asText());
        assertEquals(((Number) board.column("parameters").get(0)).longValue(), j.get("parameters").asLong());
        assertEquals(board.doubleColumn("loss_final").getDouble(0), j.get("loss").asDouble(), 1e-9);
        assertEquals(board.intColumn("hidden").getInt(0), j.get("plan").get("hidden_size").asInt());
        assertEquals(board.intColumn("ffn").getInt(0), j.get("plan").get("intermediate_size").asInt());
        assertEquals(board.intColumn("layers").getInt(0), j.get("plan").get("num_layers").asInt());
        assertTrue(Math.abs(j.get("parameters").asLong() - BUDGET) <= 0.1 * BUDGET);
        JsonNode saved = Json.MAPPER.readTree(out.resolve(SearchCommand.JSON_FILE).toFile());
        assertEquals(j.get("best"), saved.get("best"));
        assertEquals("[0,2,4]", saved.get("checkpoint_steps").toString());
        assertEquals(3, saved.get("stability").size());
        assertEquals(3, saved.get("candidates").get(0).get("losses").size());
        assertTrue(Files.readString(out.resolve(SearchCommand.HTML)).contains(j.get("best").asText()));
    }

    @Test
    void searchCanCalibrateFirstAndRankByThePrunedLossHoldingOutTheEndOfTheData(@TempDir Path out) throws Exception {
        CliTest.Run r = CliTest.run("search", "--model", model.toString(), "--calibration", train.toString(),
                "--calibration-samples", "4", "--params", Long.toString(BUDGET), "--tolerance", "0.1", "--candidates", "2",
                "--data", train.toString(), "--seq-len", "16", "--batch-size", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("best: "), r.out());
        Table stability = Table.read().csv(out.resolve(SearchCommand.STABILITY).toFile());
        assertEquals(1, stability.rowCount());
        Table board = Table.read().csv(out.resolve(SearchCommand.LEADERBOARD).toFile());
        assertEquals(board.doubleColumn("loss_step0").getDouble(0), board.doubleColumn("loss_final").getDouble(0), 1e-12);
    }

    @Test
    void badSearchInputExitsWithCode2NamingTheProblem(@TempDir Path tmp) {
        String m = model.toString(), s = scores.toString(), v = validation.toString(), o = tmp.resolve("o").toString();
        long big = BASE.parameterCount() + 10;
        PruneCommandTest.expect(String.format(Locale.ROOT, "parameter budget %,d is not smaller than the model's %,d", big,
                BASE.parameterCount()), "search", "--model", m, "--scores", s, "--params", Long.toString(big),
                "--validation", v, "--out", o);
        long odd = BUDGET + 1;
        assertTrue(ArchitectureSearch.candidates(BASE, odd, ArchitectureSearch.Space.defaults().withTolerance(0)).isEmpty());
        PruneCommandTest.expect(String.format(Locale.ROOT, "no candidate shape within ±0%% of %,d parameters", odd),
                "search", "--model", m, "--scores", s, "--params", Long.toString(odd), "--tolerance", "0",
                "--validation", v, "--out", o);
        PruneCommandTest.expect("--params 'lots' is not a parameter count", "search", "--model", m, "--scores", s,
                "--params", "lots", "--validation", v, "--out", o);
        PruneCommandTest.expect("give --scores DIR", "search", "--model", m, "--params", "1000", "--validation", v, "--out", o);
        PruneCommandTest.expect("needs --data FILE", "search", "--model", m, "--scores", s, "--params", Long.toString(BUDGET),
                "--tokens", "100", "--validation", v, "--out", o);
        PruneCommandTest.expect("give --validation FILE", "search", "--model", m, "--scores", s, "--params",
                Long.toString(BUDGET), "--out", o);
        PruneCommandTest.expect("scores were computed for", "search", "--model", CliTest.FIXTURES.resolve("llama").toString(),
                "--scores", s, "--params", "20000", "--tolerance", "0.2", "--validation", v, "--out", o);
    }

    @Test
    void parameterCountsAcceptSuffixes() {
        assertEquals(12_000_000L, SearchCommand.parseCount("12M"));
        assertEquals(1_500_000_000L, SearchCommand.parseCount("1.5B"));
        assertEquals(800_000L, SearchCommand.parseCount("800k"));
        assertEquals(8_000_000L, SearchCommand.parseCount("8e6"));
        assertEquals(1234L, SearchCommand.parseCount("1_234"));
    }
}
