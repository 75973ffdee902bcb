package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.TestTokenizers;
import org.minitron4j.model.Tokenizer;

class WinograndeTest {
    @TempDir Path dir;

    private static String line(String qID, String sentence, String o1, String o2, String answer) {
        return String.format("{\"qID\": \"%s\", \"sentence\": \"%s\", \"option1\": \"%s\", \"option2\": \"%s\", "
                + "\"answer\": \"%s\"}", qID, sentence, o1, o2, answer);
    }

    private Path write(String name, String... lines) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void partialScoringSplit() {
        WinograndeItem mid = WinograndeItem.fromSentence("q", "The cup fell because _ was   heavy. ", "Ann", "Bob",
                "2", 1);
        assertEquals("The cup fell because Ann", mid.context1());
        assertEquals("The cup fell because Bob", mid.context2());
        assertEquals(" was   heavy.", mid.continuation());
        assertEquals(1, mid.gold());
        WinograndeItem start = WinograndeItem.fromSentence("q", "_ ate the cake.", "Ann", "Bob", "1", 1);
        assertEquals("Ann", start.context1());
        assertEquals(" ate the cake.", start.continuation());
        assertEquals(0, start.gold());
        WinograndeItem end = WinograndeItem.fromSentence("q", "He gave it to _", "Ann", "Bob", "1", 1);
        assertEquals(" ", end.continuation());
        WinograndeItem glued = WinograndeItem.fromSentence("q", "It was the _'s fault.", "dog", "cat", "1", 1);
        assertEquals("It was the dog", glued.context1());
        assertEquals(" 's fault.", glued.continuation());
        assertEquals("It was the dog 's fault.", glued.asExample());
    }

    @Test
    void loadsBothSchemas() throws Exception {
        Path orig = write("dev.jsonl", line("a1", "Tom hit _ hard.", "Ann", "Bob", "1"), "",
                "{\"qID\": \"a2\", \"sentence\": \"_ ran.\", \"option1\": \"X\", \"option2\": \"Y\", \"answer\": 2}",
                line("a3", "Unknown _ here.", "A", "B", ""));
        List<WinograndeItem> items = Winogrande.load(orig);
        assertEquals(3, items.size());
        assertEquals("a1", items.get(0).qID());
        assertEquals(1, items.get(0).line());
        assertEquals(1, items.get(1).gold());
        assertEquals(3, items.get(1).line());
        assertFalse(items.get(2).labeled());
        Path mosaic = write("mosaic.jsonl",
                "{\"context_options\": [\"Tom hit Ann\", \"Tom hit Bob\"], \"continuation\": \"hard.\", \"gold\": 0}");
        WinograndeItem m = Winogrande.load(mosaic).get(0);
        assertEquals(new WinograndeItem("line-1", "Tom hit Ann", "Tom hit Bob", " hard.", 0, 1), m);
        assertTrue(m.sameProblem(new WinograndeItem("line-1", "Tom hit Ann", "Tom hit Bob", " hard.", 0, 9)));
        WinograndeItem fromOrig = items.get(0);
        assertEquals(m.context1(), fromOrig.context1());
        assertEquals(m.continuation(), fromOrig.continuation());
    }

    @Test
    void loadErrors() throws Exception {
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e1.jsonl",
                line("a1", "ok _.", "A", "B", "1"), line("bad7", "two _ and _", "A", "B", "1")))),
                "bad7", "line 2", "'_'");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e2.jsonl",
                line("nob", "no blank", "A", "B", "1")))), "nob", "line 1");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e3.jsonl",
                line("q3", "x _", "A", "B", "3")))), "q3", "\"3\"");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e4.jsonl",
                line("q", "x _", "A", "B", "1"),
                "{\"qID\": \"q\", \"sentence\": \"x _\", \"option1\": \"A\", \"answer\": \"1\"}"))),
                "e4.jsonl", "line 2", "option2");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e5.jsonl",
                "{\"qID\": \"q\", \"sentence\": \"x _\", \"option1\": \"A\", \"option2\": \"B\"}"))),
                "line 1", "answer");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e6.jsonl",
                "{oops"))), "e6.jsonl", "line 1");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e7.jsonl",
                "{\"context_options\": [\"a\"], \"continuation\": \"b\", \"gold\": 0}"))), "line 1", "context_options");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e8.jsonl",
                "{\"context_options\": [\"a\", \"b\"], \"continuation\": \"c\", \"gold\": 2}"))), "line 1", "gold");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e9.jsonl",
                "{\"context_options\": [\"a\", \"b\"], \"gold\": 1}"))), "line 1", "continuation");
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.load(write("e10.jsonl", "", " "))),
                "e10.jsonl", "no items");
    }

    private static final Map<String, Double> TABLE = Map.of(
            "trophy was", -1.0, "suitcase was", -3.0,
            "Ann ate", -0.5, "Bob ate", -1.5,
            "Cid left.", -4.0, "Dan left.", -1.0);

    private static List<WinograndeItem> items() {
        return List.of(
                WinograndeItem.fromSentence("w1", "It did not fit because the _ was too big.", "trophy", "suitcase",
                        "1", 1),
                WinograndeItem.fromSentence("w2", "_ ate it.", "Ann", "Bob", "1", 2),
                WinograndeItem.fromSentence("w3", "Then _ left.", "Cid", "Dan", "1", 3));
    }

    @Test
    void evaluateWithBigramScorer() throws Exception {
        Fakes.WordEncoder enc = new Fakes.WordEncoder(null);
        Fakes.BigramScorer scorer = new Fakes.BigramScorer(enc, TABLE);
        WinograndeResult r = Winogrande.evaluate(items(), enc, scorer, WinograndeOptions.defaults());
        // w1: trophy->was -1, was->too -2, too->big. -2 = -5 vs suitcase -3 -4 = -7 -> option 1, gold 1
        // w2: -0.5 -2 = -2.5 vs -1.5 -2 = -3.5 -> option 1, correct; w3: -4 vs -1 -> option 2, wrong
        assertEquals(3, r.n());
        assertEquals(2.0 / 3, r.acc(), 1e-12);
        double[] correct = {1, 1, 0};
        assertEquals(new StandardDeviation().evaluate(correct) / Math.sqrt(3), r.accStderr(), 1e-12);
        assertEquals(Math.sqrt((2.0 / 3) * (1.0 / 3) / 2), r.accStderr(), 1e-12);
        assertEquals(List.of("qID", "gold", "logprob1", "logprob2", "prediction", "correct"),
                r.items().columnNames());
        assertEquals(-5.0, r.items().doubleColumn("logprob1").get(0), 1e-12);
        assertEquals(-7.0, r.items().doubleColumn("logprob2").get(0), 1e-12);
        assertEquals(2, r.items().intColumn("prediction").get(2));
        assertFalse(r.items().booleanColumn("correct").get(2));
        // requests: context tokens, then continuation tokens of " was too big."
        assertEquals(6, scorer.seen.size());
        assertArrayEquals(enc.encode("was too big."), scorer.seen.get(0).continuation());
        assertArrayEquals(enc.encode("It did not fit because the suitcase"), scorer.seen.get(1).context());

        Path out = dir.resolve("pred.jsonl");
        r.writePredictions(out);
        List<String> lines = Files.readAllLines(out);
        assertEquals(3, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals("w1", first.get("qID").asText());
        assertEquals(-5.0, first.get("logprob_option1").asDouble());
        assertEquals(-7.0, first.get("logprob_option2").asDouble());
        assertEquals(1, first.get("prediction").asInt());
        assertEquals(1, first.get("gold").asInt());
        assertTrue(first.get("correct").asBoolean());

        WinograndeResult limited = Winogrande.evaluate(items(), enc, scorer,
                WinograndeOptions.defaults().withLimit(2));
        assertEquals(2, limited.n());
        assertEquals(1.0, limited.acc());
        assertEquals(0.0, limited.accStderr());
    }

    @Test
    void unlabeledItemsCannotBeScored() {
        List<WinograndeItem> items = List.of(WinograndeItem.fromSentence("t9", "_ x", "a", "b", "", 4));
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.evaluate(items, Fakes.CHARS,
                new Fakes.RecordingScorer(), WinograndeOptions.defaults())), "t9", "line 4", "no answer");
    }

    @Test
    void fewshotRenderingExact() {
        WinograndeItem item = WinograndeItem.fromSentence("i", "So _ won.", "Al", "Bo", "1", 1);
        WinograndeItem ex = WinograndeItem.fromSentence("e", "Then _  slept .", "Cy", "Di", "2", 1);
        WinograndeOptions opts = WinograndeOptions.defaults().withFewshot(1, List.of(item, ex), 3);
        String prefix = Winogrande.fewshotPrefix(item, opts, new Random(3)); // the item itself is never drawn
        assertEquals("Then Di slept .\n\n", prefix);
        String[] ctx = Winogrande.contexts(item, prefix);
        assertEquals("Then Di slept .\n\nSo Al", ctx[0]);
        assertEquals("Then Di slept .\n\nSo Bo", ctx[1]);

        Fakes.RecordingScorer scorer = new Fakes.RecordingScorer();
        Winogrande.evaluate(List.of(item), Fakes.CHARS, scorer, opts);
        assertEquals("Then Di slept .\n\nSo Al", Fakes.chars(scorer.seen.get(0).context()));
        assertEquals(" won.", Fakes.chars(scorer.seen.get(0).continuation()));
        assertEquals("Then Di slept .\n\nSo Bo", Fakes.chars(scorer.seen.get(1).context()));
    }

    @Test
    void fewshotSamplingIsSeededWithoutReplacement() {
        List<WinograndeItem> pool = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pool.add(WinograndeItem.fromSentence("p" + i, "P" + i + " _ .", "x", "y", "1", i + 1));
        }
        WinograndeItem item = pool.get(2);
        WinograndeOptions opts = WinograndeOptions.defaults().withFewshot(5, pool, 11);
        String a = Winogrande.fewshotPrefix(item, opts, new Random(11));
        assertEquals(a, Winogrande.fewshotPrefix(item, opts, new Random(11)));
        String[] parts = a.split("\n\n");
        assertEquals(5, parts.length);
        Set<String> distinct = new HashSet<>(List.of(parts));
        assertEquals(5, distinct.size());
        assertFalse(distinct.contains("P2 x ."));
        // Hand-replay of the documented draw: partial Fisher-Yates with Random(seed).nextInt(size - i).
        List<WinograndeItem> rest = new java.util.ArrayList<>(pool);
        rest.remove(2);
        Random rng = new Random(11);
        StringBuilder want = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            int j = i + rng.nextInt(rest.size() - i);
            WinograndeItem pick = rest.get(j);
            rest.set(j, rest.get(i));
            rest.set(i, pick);
            want.append(pick.asExample()).append("\n\n");
        }
        assertEquals(want.toString(), a);
        assertMessage(assertThrows(InvalidInputException.class, () -> Winogrande.fewshotPrefix(item,
                WinograndeOptions.defaults().withFewshot(6, pool, 1), new Random(1))), "6", "5");
    }

    @Test
    void integrationWithRealTokenizer() throws Exception {
        TestTokenizers.writeWordLevel(dir, List.of("So", "Al", "Bo", "won."), false);
        try (Tokenizer tok = Tokenizer.load(dir)) {
            Fakes.RecordingScorer scorer = new Fakes.RecordingScorer();
            WinograndeResult r = Winogrande.evaluate(
                    List.of(WinograndeItem.fromSentence("i", "So _ won.", "Al", "Bo", "2", 1)), tok, scorer,
                    WinograndeOptions.defaults());
            // ids: So=3 Al=4 Bo=5 won.=6; no special tokens in requests
            assertArrayEquals(new int[] {3, 4}, scorer.seen.get(0).context());
            assertArrayEquals(new int[] {6}, scorer.seen.get(0).continuation());
            assertArrayEquals(new int[] {3, 5}, scorer.seen.get(1).context());
            assertEquals(0.0, r.acc());
            assertTrue(Double.isNaN(r.accStderr()));
        }
    }
}
