package org.minitron4j.tinyworld;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyWorldTest {

    static final TinyWorldOptions SMALL = new TinyWorldOptions(7L, 60_000, 6_000, 3_000, 240, 60, 80);

    @TempDir
    static Path dir;
    static TinyWorldFiles files;
    static TinyWorld world;
    static String train;

    @BeforeAll
    static void generate() throws IOException {
        files = TinyWorld.generate(dir.resolve("a"), SMALL);
        world = TinyWorld.build(SMALL.seed());
        train = Files.readString(files.train());
    }

    static List<WinograndeItem> items(Path p) throws IOException {
        return Files.readAllLines(p).stream().map(WinograndeItem::fromJson).collect(Collectors.toList());
    }

    static List<String> docs(Path p) throws IOException {
        return Arrays.stream(Files.readString(p).split("\n\n")).map(String::strip).collect(Collectors.toList());
    }

    @Test
    void sameSeedSameBytesDifferentSeedDifferentFiles() throws IOException {
        TinyWorldFiles again = TinyWorld.generate(dir.resolve("b"), SMALL);
        for (String n : List.of("train.txt", "validation.txt", "calibration.txt", "winogrande_dev.jsonl",
                "winogrande_train.jsonl", "winogrande_easy_dev.jsonl", "story_endings_dev.jsonl", "tokenizer.json", "tokenizer_config.json", "README.md")) {
            assertArrayEquals(Files.readAllBytes(files.outDir().resolve(n)),
                    Files.readAllBytes(again.outDir().resolve(n)), n);
        }
        TinyWorldFiles other = TinyWorld.generate(dir.resolve("c"), SMALL.withSeed(8L));
        assertFalse(Arrays.equals(Files.readAllBytes(files.train()), Files.readAllBytes(other.train())));
        assertFalse(Arrays.equals(Files.readAllBytes(files.winograndeDev()),
                Files.readAllBytes(other.winograndeDev())));
        try (var s = Files.list(dir.resolve("b"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void sizesAndFormat() throws IOException {
        assertTrue(files.trainWords() >= SMALL.trainWords() && files.trainWords() < SMALL.trainWords() + 200);
        assertEquals(240, files.devItems());
        assertEquals(60, files.fewshotItems());
        assertEquals(240, files.easyDevItems());
        assertEquals(80, files.storyItems());
        assertTrue(files.vocabSize() > 150 && files.vocabSize() < 800, "vocab " + files.vocabSize());
        for (String d : docs(files.train())) {
            assertFalse(d.contains("  ") || d.contains("\n") || d.isEmpty(), d);
            assertEquals(d, d.toLowerCase(java.util.Locale.ROOT));
            int sentences = d.split(" [.?] ").length;
            assertTrue(d.endsWith(" .") && sentences >= 2 && sentences <= 12, d);
        }
        Set<String> trainDocs = new HashSet<>(docs(files.train()));
        for (String d : docs(files.validation())) {
            assertFalse(trainDocs.contains(d), d);
        }
        for (String d : docs(files.calibration())) {
            assertFalse(trainDocs.contains(d), d);
        }
        assertTrue(files.unigramValidationLoss() > 3.0, "unigram " + files.unigramValidationLoss());
        assertTrue(Files.readString(files.readme()).contains("seed 7"));
    }

    private static String entityRegex() {
        return java.util.stream.Stream.concat(world.entities().stream(), world.villagers().stream()).map(Entity::name)
                .collect(Collectors.joining("|", "(", ")"));
    }

    private static Attribute byComparative(String c, boolean[] high) {
        for (Attribute a : Attribute.values()) {
            if (a.highComparative.equals(c) || a.lowComparative.equals(c)) {
                high[0] = a.highComparative.equals(c);
                return a;
            }
        }
        throw new AssertionError(c);
    }

    @Test
    void comparisonsAndAttributeStatementsMatchTheWorld() {
        String ent = entityRegex();
        Pattern cmp = Pattern.compile(ent + " is (?:much )?(\\w+er) than " + ent + " ");
        Pattern notAs = Pattern.compile(ent + " is not as (\\w+) as " + ent + " ");
        Pattern asAs = Pattern.compile(ent + " is as (\\w+) as " + ent + " ");
        Pattern stat = Pattern.compile("(?:^|, |that )" + ent + " is (?:a )?((?:very |quite )?\\w+)(?= [.,]| person|"
                + " animal| thing)");
        Pattern not = Pattern.compile(ent + " is not (\\w+) \\.");
        Pattern too = Pattern.compile(ent + " was too (\\w+)");
        int[] n = new int[6];
        for (String sentence : train.split("(?<= [.?]) ")) {
            Matcher m = cmp.matcher(sentence);
            while (m.find()) {
                boolean[] high = new boolean[1];
                Attribute a = byComparative(m.group(2), high);
                int l1 = world.entity(m.group(1)).level(a);
                int l3 = world.entity(m.group(3)).level(a);
                assertTrue(high[0] ? l1 > l3 : l1 < l3, sentence);
                n[0]++;
            }
            m = notAs.matcher(sentence);
            while (m.find()) {
                Attribute a = attributeOf(m.group(2));
                assertTrue(world.entity(m.group(1)).level(a) < world.entity(m.group(3)).level(a), sentence);
                n[1]++;
            }
            m = asAs.matcher(sentence);
            while (m.find()) {
                Attribute a = attributeOf(m.group(2));
                assertEquals(world.entity(m.group(1)).level(a), world.entity(m.group(3)).level(a), sentence);
                n[2]++;
            }
            m = stat.matcher(sentence);
            while (m.find()) {
                String phrase = m.group(2);
                Entity e = world.entity(m.group(1));
                boolean matched = false;
                for (Attribute a : Attribute.values()) {
                    if (a.levelOf(phrase) > 0) {
                        assertEquals(a.levelOf(phrase), e.level(a), sentence);
                        matched = true;
                    }
                }
                if (matched) {
                    n[3]++;
                } else if (!phrase.endsWith("er")) {
                    assertEquals(e.colour(), phrase, sentence);
                }
            }
            m = not.matcher(sentence);
            while (m.find()) {
                Attribute a = attributeOf(m.group(2));
                Entity e = world.entity(m.group(1));
                assertTrue(a.high.equals(m.group(2)) ? e.isLow(a) : e.isHigh(a), sentence);
                n[4]++;
            }
            m = too.matcher(sentence);
            while (m.find()) {
                Attribute a = tooAttribute(m.group(2));
                Entity e = world.entity(m.group(1));
                assertTrue(a.high.equals(m.group(2)) ? e.isHigh(a) : e.isLow(a), sentence);
                n[5]++;
            }
        }
        for (int c : n) {
            assertTrue(c > 50, Arrays.toString(n));
        }
    }

    static Attribute attributeOf(String adj) {
        for (Attribute a : Attribute.values()) {
            if (a.high.equals(adj) || a.low.equals(adj)) {
                return a;
            }
        }
        throw new AssertionError(adj);
    }

    /** In "was too weak" the attribute is strength; "heavy" is weight; otherwise by adjective. */
    static Attribute tooAttribute(String adj) {
        return attributeOf(adj);
    }

    @Test
    void winograndeItemsAreTwinsBalancedAndHeldOut() throws IOException {
        List<WinograndeItem> dev = items(files.winograndeDev());
        List<WinograndeItem> few = items(files.winograndeTrain());
        List<WinograndeItem> easy = items(files.winograndeEasyDev());
        assertEquals(240, dev.size());
        assertEquals(60, few.size());
        assertEquals(240, easy.size());
        Set<String> devSentences = new HashSet<>();
        for (WinograndeItem it : dev) {
            devSentences.add(it.sentence());
        }
        for (WinograndeItem it : few) {
            assertFalse(devSentences.contains(it.sentence()), it.sentence());
        }
        List<String> corpora = corpora();
        for (List<WinograndeItem> set : List.of(dev, few, easy)) {
            int ones = 0;
            for (int i = 0; i < set.size(); i += 2) {
                WinograndeItem x = set.get(i);
                WinograndeItem y = set.get(i + 1);
                assertTrue(x.qID().endsWith("-1") && y.qID().endsWith("-2"), x.qID());
                assertEquals(x.qID().substring(0, x.qID().length() - 2), y.qID().substring(0, y.qID().length() - 2));
                assertEquals(x.option1(), y.option1());
                assertEquals(x.option2(), y.option2());
                assertFalse(x.answer().equals(y.answer()));
                // Twins share everything up to the blank.
                assertEquals(x.sentence().substring(0, x.sentence().indexOf('_')),
                        y.sentence().substring(0, y.sentence().indexOf('_')));
                assertFalse(x.sentence().equals(y.sentence()));
                ones += ("1".equals(x.answer()) ? 1 : 0) + ("1".equals(y.answer()) ? 1 : 0);
            }
            assertEquals(set.size() / 2, ones);
            int firstIsOne = 0;
            for (WinograndeItem it : set) {
                assertEquals(1, it.sentence().chars().filter(c -> c == '_').count(), it.sentence());
                assertTrue(it.answer().equals("1") || it.answer().equals("2"));
                for (int o = 1; o <= 2; o++) {
                    String filled = it.filled(o);
                    for (String c : corpora) {
                        assertFalse(c.contains(filled), "task sentence in corpus: " + filled);
                    }
                }
                firstIsOne += it.option1().equals(it.correctOption()) ? 1 : 0;
            }
            assertTrue(firstIsOne == set.size() / 2);
        }
    }

    private static List<String> corpora() throws IOException {
        return List.of(train, Files.readString(files.validation()), Files.readString(files.calibration()));
    }

    @Test
    void easyItemsFollowFromTheWorldsFacts() throws IOException {
        for (WinograndeItem it : items(files.winograndeEasyDev())) {
            String adj = it.sentence().replaceAll(".* was too (\\w+) \\.$", "$1");
            Attribute a = attributeOf(adj);
            boolean high = a.high.equals(adj);
            Entity right = world.entity(it.correctOption());
            Entity wrong = world.entity(it.correctOption().equals(it.option1()) ? it.option2() : it.option1());
            assertNotNull(right);
            assertTrue(high ? right.isHigh(a) : right.isLow(a), it.toJson());
            assertFalse(high ? wrong.isHigh(a) : wrong.isLow(a), it.toJson());
        }
    }

    // ---------------------------------------------------------------- scene tasks, answered independently of the generator

    private static final List<String> STATES = List.of("hungry", "tired", "thirsty", "cold", "bored", "sad");
    private static final List<String> ACTIONS = List.of("ate some food", "went to sleep", "drank some water",
            "put on a coat", "played a game", "called a friend");
    private static final List<String> NUMBERS = List.of("two", "three", "four", "five", "six", "seven", "eight",
            "nine");
    private static final Pattern STATE = Pattern.compile("(\\w+) was (hungry|tired|thirsty|cold|bored|sad)\\b");
    private static final Pattern ROOM = Pattern.compile("((?:the )?\\w+) was in the (\\w+) room");
    private static final Pattern HAD = Pattern.compile("(\\w+) had (two|three|four|five|six|seven|eight|nine) ");

    /** Who does {@code outcome} (the text after the blank, or after the name) given the facts of {@code context}. */
    private static String solve(String context, String outcome) {
        Map<String, String> states = new java.util.HashMap<>();
        Matcher m = STATE.matcher(context);
        while (m.find()) {
            states.put(m.group(1), m.group(2));
        }
        for (int i = 0; i < ACTIONS.size(); i++) {
            if (outcome.startsWith(ACTIONS.get(i))) {
                String state = STATES.get(i);
                List<String> who = states.entrySet().stream().filter(e -> e.getValue().equals(state))
                        .map(Map.Entry::getKey).toList();
                return who.size() == 1 ? who.get(0) : null;
            }
        }
        Map<String, String> rooms = new java.util.LinkedHashMap<>();
        m = ROOM.matcher(context);
        while (m.find()) {
            rooms.put(m.group(1), m.group(2));
        }
        if (outcome.startsWith("found ") || outcome.startsWith("could not find ")) {
            String thing = outcome.replaceAll("^(?:found|could not find) (.*) \\.$", "$1");
            boolean finds = outcome.startsWith("found ");
            List<String> who = rooms.entrySet().stream().filter(e -> !e.getKey().equals(thing)
                    && e.getValue().equals(rooms.get(thing)) == finds).map(Map.Entry::getKey).toList();
            return who.size() == 1 ? who.get(0) : null;
        }
        Map<String, Integer> counts = new java.util.HashMap<>();
        m = HAD.matcher(context);
        while (m.find()) {
            counts.put(m.group(1), NUMBERS.indexOf(m.group(2)));
        }
        boolean more = outcome.startsWith("had more ");
        return counts.entrySet().stream().max((a, b) -> more ? Integer.compare(a.getValue(), b.getValue())
                : Integer.compare(b.getValue(), a.getValue())).map(Map.Entry::getKey).orElse(null);
    }

    @Test
    void villagerItemsFollowFromTheirFactsAndSpanTheFrequencyBands() throws IOException {
        Set<String> villagers = world.villagers().stream().map(Entity::name).collect(Collectors.toSet());
        Map<Integer, List<String>> bandNames = new java.util.TreeMap<>();
        for (Path p : List.of(files.winograndeDev(), files.winograndeTrain())) {
            for (WinograndeItem it : items(p)) {
                assertTrue(villagers.contains(it.option1()) && villagers.contains(it.option2()), it.toJson());
                String adj = it.sentence().replaceAll(".* was too (\\w+) \\.$", "$1");
                Attribute a = attributeOf(adj);
                boolean high = a.high.equals(adj);
                Entity right = world.entity(it.correctOption());
                Entity wrong = world.entity(it.correctOption().equals(it.option1()) ? it.option2() : it.option1());
                assertTrue(high ? right.isHigh(a) : right.isLow(a), it.toJson());
                assertFalse(high ? wrong.isHigh(a) : wrong.isLow(a), it.toJson());
                Matcher band = Pattern.compile("^tw-(?:fs-)?b(\\d)-\\d{6}-[12]$").matcher(it.qID());
                assertTrue(band.find(), it.qID());
                bandNames.computeIfAbsent(Integer.parseInt(band.group(1)), k -> new ArrayList<>()).add(it.option1());
            }
        }
        assertEquals(10, bandNames.size(), bandNames.keySet().toString());
        // Counted in the corpus, independently of the generator's weights: the rarest band's villagers are mentioned
        // far less often than the most frequent band's (log-uniform over three decades: about 1000 times).
        double[] mentions = new double[2]; // mean mentions per villager: band 0, band 9
        for (int i = 0; i < 2; i++) {
            List<String> names = bandNames.get(i == 0 ? 0 : 9);
            for (String name : names) {
                mentions[i] += (train.split(" " + name + " ", -1).length - 1) / (double) names.size();
            }
        }
        assertTrue(mentions[1] >= 10 && mentions[1] > 30 * mentions[0], Arrays.toString(mentions));
    }

    @Test
    void storyEndingsHaveOneRightEndingAndAreHeldOut() throws IOException {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> corpora = corpora();
        int[] goldAt = new int[4];
        for (String line : Files.readAllLines(files.storyEndings())) {
            var o = json.readTree(line);
            String context = o.get("context").asText();
            List<String> endings = new ArrayList<>();
            o.get("endings").forEach(e -> endings.add(e.asText()));
            assertEquals(4, endings.size());
            assertEquals(4, new HashSet<>(endings).size(), line);
            String name = context.substring(context.lastIndexOf(' ') + 1);
            String facts = context.substring(0, context.lastIndexOf(" then "));
            int gold = o.get("label").asInt();
            goldAt[gold]++;
            for (int i = 0; i < 4; i++) {
                String ending = endings.get(i);
                assertEquals(i == gold, name.equals(solve(facts, ending)), line + " ending " + i);
                for (String c : corpora) {
                    assertFalse(c.contains(context + " " + ending), "story in corpus: " + context);
                }
            }
        }
        for (int g : goldAt) {
            assertTrue(g > 5, Arrays.toString(goldAt));
        }
    }

    @Test
    void scenesInTheCorpusAreConsistent() {
        int checked = 0;
        for (String doc : train.split("\n\n")) {
            if (!STATE.matcher(doc).find() && !doc.contains(" room ") && !doc.contains(" had ")) {
                continue;
            }
            for (String sentence : doc.split("(?<= \\.) ")) {
                String s = sentence.replaceFirst("^(?:so|later ,|then) ", "");
                for (int i = 0; i < ACTIONS.size(); i++) {
                    int at = s.indexOf(" " + ACTIONS.get(i));
                    if (at > 0 && !s.contains(" was ")) {
                        String who = s.substring(s.lastIndexOf(' ', at - 1) + 1, at);
                        assertEquals(who, solve(doc, s.substring(at + 1)), doc);
                        checked++;
                    }
                }
                Matcher f = Pattern.compile("^(\\w+) (found|could not find) (.*) \\.$").matcher(s);
                if (f.find()) {
                    assertEquals(f.group(1), solve(doc, f.group(2) + " " + f.group(3) + " ."), doc);
                    checked++;
                }
                Matcher c = Pattern.compile("^(\\w+) had (more|fewer) (\\w+) \\.$").matcher(s);
                if (c.find()) {
                    assertEquals(c.group(1), solve(doc, "had " + c.group(2) + " "), doc);
                    checked++;
                }
            }
        }
        assertTrue(checked > 300, "checked " + checked); // scenes are one document in five
    }

    @Test
    void tokenizerLoadsInDjlCoversAllWordsAndRoundTrips() throws IOException {
        try (HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(files.outDir())) {
            Map<String, Integer> vocab = new java.util.HashMap<>();
            List<String> lines = new ArrayList<>();
            lines.addAll(docs(files.train()).subList(0, 300));
            lines.addAll(docs(files.validation()));
            lines.addAll(docs(files.calibration()));
            for (Path p : List.of(files.winograndeDev(), files.winograndeTrain(), files.winograndeEasyDev())) {
                for (WinograndeItem it : items(p)) {
                    lines.add(it.filled(1));
                    lines.add(it.filled(2));
                }
            }
            for (String line : Files.readAllLines(files.storyEndings())) {
                var o = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
                o.get("endings").forEach(e -> lines.add(o.get("context").asText() + " " + e.asText()));
            }
            for (String line : lines) {
                Encoding enc = tok.encode(line);
                long[] ids = enc.getIds();
                String[] words = line.split(" ");
                assertEquals(words.length + 1, ids.length, line);
                assertEquals(1L, ids[0]);
                assertEquals("<s>", enc.getTokens()[0]);
                for (int i = 0; i < words.length; i++) {
                    assertTrue(ids[i + 1] > 3, "unknown or special: " + words[i]);
                    assertEquals(words[i], enc.getTokens()[i + 1]);
                    Integer prev = vocab.putIfAbsent(words[i], (int) ids[i + 1]);
                    assertTrue(prev == null || prev == ids[i + 1]);
                }
                assertEquals(line, tok.decode(ids, true));
                assertEquals("<s> " + line, tok.decode(ids, false));
            }
            assertEquals(0L, tok.encode("zebra").getIds()[1], "unknown word -> <unk>");
        }
        String json = Files.readString(files.tokenizerJson());
        assertTrue(json.contains("\"WordLevel\"") && json.contains("\"<unk>\" : 0"), json.substring(0, 300));
        // Whole-file coverage: every word of every split is in the vocabulary.
        Set<String> vocabWords = new HashSet<>(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(json).get("model").get("vocab").properties().stream().map(Map.Entry::getKey).toList());
        for (Path p : List.of(files.train(), files.validation(), files.calibration())) {
            for (String w : Files.readString(p).split("\\s+")) {
                assertTrue(w.isEmpty() || vocabWords.contains(w), w);
            }
        }
    }
}
