package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;

class MultipleChoiceTest {
    @TempDir Path dir;

    private Path write(String... lines) throws Exception {
        Path f = dir.resolve("mc.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    @Test
    void loadsFieldAliases() throws Exception {
        List<MultipleChoiceItem> items = MultipleChoice.load(write(
                "{\"id\": \"h1\", \"context\": \"A man\", \"endings\": [\"runs\", \"sits\"], \"label\": \"1\"}",
                "{\"query\": \"Q\", \"choices\": [\"a\", \"b\", \"c\"], \"gold\": 2}",
                "{\"question\": \"Why\", \"choices\": [\"x\"], \"label\": 0}"));
        assertEquals(new MultipleChoiceItem("h1", "A man", List.of("runs", "sits"), 1, 1), items.get(0));
        assertEquals(new MultipleChoiceItem("line-2", "Q", List.of("a", "b", "c"), 2, 2), items.get(1));
        assertEquals("Why", items.get(2).context());
    }

    @Test
    void loadErrorsNameLine() throws Exception {
        for (String[] bad : new String[][] {
                {"{\"choices\": [\"a\"], \"label\": 0}", "context|query|question"},
                {"{\"context\": \"c\", \"label\": 0}", "choices|endings"},
                {"{\"context\": \"c\", \"choices\": [\"a\"]}", "label|gold"},
                {"{\"context\": \"c\", \"choices\": [\"a\"], \"label\": 1}", "out of range"},
                {"{\"context\": \"c\", \"choices\": [\"a\", 3], \"label\": 0}", "choice 1"},
                {"{\"context\": \"c\", \"choices\": [\"a\"], \"label\": \"x\"}", "integer"},
                {"[1, 2]", "JSON object"}}) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> MultipleChoice.load(write("{\"context\": \"ok\", \"choices\": [\"a\"], \"label\": 0}",
                            bad[0])));
            assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains(bad[1])
                    && e.getMessage().contains("mc.jsonl"), e.getMessage());
        }
    }

    @Test
    void accAccNormAndBytes() throws Exception {
        Fakes.WordEncoder enc = new Fakes.WordEncoder(null);
        Map<String, Double> table = Map.of(
                "x a", -2.0, "x bb", -1.5, "bb cc", -1.0,        // acc picks "a" (-2 > -2.5); norm picks "bb cc"
                "y é", -1.5, "y ab", -2.5);                         // chars: -1.5/1 < -2.5/2; bytes: -1.5/2 > -1.25
        Fakes.BigramScorer scorer = new Fakes.BigramScorer(enc, table);
        List<MultipleChoiceItem> items = List.of(
                new MultipleChoiceItem("m1", "x", List.of("a", "bb cc"), 1, 1),
                new MultipleChoiceItem("m2", "y", List.of("é", "ab"), 0, 2),
                new MultipleChoiceItem("m3", "x", List.of("a", "bb cc"), 0, 3));
        MultipleChoiceResult r = MultipleChoice.evaluate(items, enc, scorer, 0);
        assertEquals(3, r.n());
        assertArrayEquals(enc.encode("bb cc"), scorer.seen.get(1).continuation());
        // acc: m1 wrong (pred 0), m2 right (pred 0), m3 right
        assertEquals(2.0 / 3, r.acc(), 1e-12);
        // acc_norm (chars): m1 pred 1 right, m2 pred 1 wrong, m3 pred 1 wrong
        assertEquals(1.0 / 3, r.accNorm(), 1e-12);
        // acc_bytes: m1 right, m2 pred 0 right, m3 wrong
        assertEquals(2.0 / 3, r.accBytes(), 1e-12);
        assertEquals(new StandardDeviation().evaluate(new double[] {0, 1, 1}) / Math.sqrt(3), r.accStderr(), 1e-12);
        assertEquals(new StandardDeviation().evaluate(new double[] {1, 0, 0}) / Math.sqrt(3), r.accNormStderr(),
                1e-12);
        assertEquals(1, r.items().intColumn("prediction_norm").get(0));
        assertEquals(0, r.items().intColumn("prediction_bytes").get(1));

        Path out = dir.resolve("p.jsonl");
        r.writePredictions(out);
        JsonNode first = new ObjectMapper().readTree(Files.readAllLines(out).get(0));
        assertEquals("m1", first.get("id").asText());
        assertEquals(-2.0, first.get("logprobs").get(0).asDouble());
        assertEquals(-2.5, first.get("logprobs").get(1).asDouble());
        assertEquals(1, first.get("gold").asInt());

        assertEquals(1, MultipleChoice.evaluate(items, enc, scorer, 1).n());
    }

    @Test
    void anImpossibleChoiceIsWrittenAsNullNotAsTheStringNaN() throws Exception {
        Fakes.WordEncoder enc = new Fakes.WordEncoder(null);
        List<MultipleChoiceItem> items = List.of(new MultipleChoiceItem("m1", "x", List.of("a", "b"), 1, 1));
        MultipleChoiceResult r = MultipleChoice.evaluate(items, enc,
                requests -> List.of(new Loglikelihood(Double.NEGATIVE_INFINITY, false), new Loglikelihood(-1.0, true)),
                0);
        assertEquals(1, r.items().intColumn("prediction").get(0));
        Path out = dir.resolve("p.jsonl");
        r.writePredictions(out);
        String line = Files.readAllLines(out).get(0);
        JsonNode first = new ObjectMapper().readTree(line);
        assertTrue(first.get("logprobs").get(0).isNull(), line);
        assertEquals(-1.0, first.get("logprobs").get(1).asDouble());
        assertTrue(!line.contains("Infinity") && !line.contains("NaN"), line);
    }

    @Test
    void anEmptyTaskFileIsBadInputNamingTheFile() throws Exception {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> MultipleChoice.load(write("", " ")));
        assertTrue(e.getMessage().contains("mc.jsonl") && e.getMessage().contains("no items"), e.getMessage());
    }

    @Test
    void requestsUseSpaceDelimiterAndEncodePair() {
        Fakes.RecordingScorer scorer = new Fakes.RecordingScorer();
        MultipleChoice.evaluate(List.of(new MultipleChoiceItem("c", "Q: ", List.of("yes", "no"), 0, 1)),
                Fakes.CHARS, scorer, 0);
        assertEquals("Q:", Fakes.chars(scorer.seen.get(0).context()));
        assertEquals("  yes", Fakes.chars(scorer.seen.get(0).continuation()));
        assertEquals("  no", Fakes.chars(scorer.seen.get(1).continuation()));
    }
}
