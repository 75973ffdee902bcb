package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.ImportanceScores;

class ImportanceCommandTest {
    @Test
    void importanceOnATokenFileWritesStatisticsScoresAndOneJsonLine(@TempDir Path out) throws Exception {
        Path dir = CliTest.FIXTURES.resolve("llama");
        CliTest.Run r = CliTest.run("importance", "--model", dir.toString(), "--data", dir.resolve("tokens.bin").toString(),
                "--samples", "6", "--seq-len", "16", "--batch-size", "4", "--batch-agg", "mean", "--seq-agg", "var",
                "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals(6, j.get("samples").asInt());
        assertEquals(16, j.get("seq_len").asInt());
        assertEquals("batch=mean,seq=var", j.get("aggregation").asText());
        assertEquals(out.toString(), j.get("out").asText());
        assertTrue(j.get("seconds").asDouble() >= 0);
        for (String f : new String[] {"stats.json", "stats.bin", "model_config.json", "scores.csv", "scores.json",
            "all_scores.csv", "block_importance.csv", "summary.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        ImportanceScores scores = ImportanceScores.load(out);
        ActivationStats stats = ActivationStats.load(out);
        assertEquals(Aggregation.of("mean", "var"), scores.aggregation());
        org.junit.jupiter.api.Assertions.assertArrayEquals(stats.scores(scores.aggregation(), scores.variant()).headScores(1),
                scores.headScores(1), 1e-12);
    }

    @Test
    void anUnknownAggregationIsABadInputNamingIt(@TempDir Path out) {
        Path dir = CliTest.FIXTURES.resolve("llama");
        CliTest.Run r = CliTest.run("importance", "--model", dir.toString(), "--data", dir.resolve("tokens.bin").toString(),
                "--batch-agg", "max", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'max'"), r.err());
    }
}
