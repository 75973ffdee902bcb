package org.minitron4j.tinyworld;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/** Writes all TinyWorld files; see {@link TinyWorld#generate}. */
final class DatasetWriter {

    static final String TRAIN = "train.txt";
    static final String VALIDATION = "validation.txt";
    static final String CALIBRATION = "calibration.txt";
    static final String WG_DEV = "winogrande_dev.jsonl";
    static final String WG_TRAIN = "winogrande_train.jsonl";
    static final String WG_EASY = "winogrande_easy_dev.jsonl";
    static final String STORIES = "story_endings_dev.jsonl";
    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String README = "README.md";
    static final int MAX_LENGTH = 1024;

    private DatasetWriter() {
    }

    private static long stream(long seed, int k) {
        return seed * 0x9E3779B97F4A7C15L + k * 0xBF58476D1CE4E5B9L;
    }

    /** Suffix "because X was too adj ." of each filled task sentence, mapped to the full filled sentences. */
    private static Map<String, List<String>> taskIndex(List<WinograndeItem> items) {
        Map<String, List<String>> idx = new HashMap<>();
        for (WinograndeItem it : items) {
            for (int o = 1; o <= 2; o++) {
                String s = it.filled(o);
                idx.computeIfAbsent(s.substring(s.indexOf("because ")), k -> new ArrayList<>()).add(s);
            }
        }
        return idx;
    }

    private static void checkNoLeak(String doc, Map<String, List<String>> idx) {
        int i = doc.indexOf("because ");
        while (i >= 0) {
            int end = doc.indexOf(" .", i);
            if (end < 0) {
                break;
            }
            List<String> full = idx.get(doc.substring(i, end + 2));
            if (full != null) {
                for (String s : full) {
                    if (doc.contains(s)) {
                        throw new IllegalStateException("Task sentence leaked into the corpus: " + s);
                    }
                }
            }
            i = doc.indexOf("because ", i + 1);
        }
    }

    private static long split(Path file, CorpusGenerator gen, long seed, long target, Set<String> exclude,
                              Set<String> collect, Map<String, long[]> counts, Map<String, List<String>> idx)
            throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        long words = 0;
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            boolean first = true;
            int misses = 0;
            while (words < target) {
                String doc = gen.document(rng);
                if (exclude.contains(doc)) {
                    if (++misses > 1_000_000) {
                        throw new IllegalStateException("Cannot find enough distinct documents");
                    }
                    continue;
                }
                checkNoLeak(doc, idx);
                if (collect != null) {
                    collect.add(doc);
                }
                if (!first) {
                    w.write("\n\n");
                }
                first = false;
                w.write(doc);
                for (String t : doc.split(" ")) {
                    counts.computeIfAbsent(t, k -> new long[1])[0]++;
                    words++;
                }
            }
            w.write("\n");
        }
        return words;
    }

    private static void writeLines(Path file, List<WinograndeItem> items) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (WinograndeItem it : items) {
                w.write(it.toJson());
                w.write("\n");
            }
        }
    }

    private static void writeStories(Path file, List<SceneTasks.StoryEnding> items) throws IOException {
        ObjectMapper json = JsonMappers.shared();
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (SceneTasks.StoryEnding it : items) {
                w.write(json.writeValueAsString(it.json()));
                w.write("\n");
            }
        }
    }

    private static void move(Path tmp, Path dst) throws IOException {
        try {
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static TinyWorldFiles generate(Path outDir, TinyWorldOptions o) {
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new InvalidInputException("Cannot create output directory " + outDir + ": " + e.getMessage(), e);
        }
        List<Path> temps = new ArrayList<>();
        try {
            TinyWorld world = TinyWorld.build(o.seed());
            // The easy set: world-knowledge twins, its combinations kept out of the corpus.
            WinograndeGenerator.Selection easy = WinograndeGenerator.generate(world, o.devItems(), 0, o.seed());
            CorpusGenerator facts = new CorpusGenerator(world, easy.reservedKeys());
            // The task with headroom: the same frames between villagers, whose facts the corpus states as often as
            // their mention frequency says; their combinations are kept out of the corpus too.
            WinograndeGenerator.Selection sel = WinograndeGenerator.villagers(world, o.devItems(), o.fewshotItems(),
                    o.seed());
            // The story endings: in-context scenes, their combinations kept out of the corpus too.
            SceneTasks.Selection stories = SceneTasks.generate(new Scenes(world, Set.of(), facts::distractor),
                    o.storyItems(), o.seed());
            Set<String> reserved = new HashSet<>(easy.reservedKeys());
            reserved.addAll(sel.reservedKeys());
            reserved.addAll(stories.reservedKeys());
            List<WinograndeItem> knowledgeItems = new ArrayList<>(easy.dev());
            knowledgeItems.addAll(sel.dev());
            knowledgeItems.addAll(sel.fewshot());
            Map<String, List<String>> idx = taskIndex(knowledgeItems);
            CorpusGenerator gen = new CorpusGenerator(world, reserved);

            String[] names = {TRAIN, VALIDATION, CALIBRATION, WG_DEV, WG_TRAIN, WG_EASY, STORIES, TOKENIZER,
                    TOKENIZER_CONFIG, README};
            Map<String, Path> tmp = new HashMap<>();
            for (String n : names) {
                Path t = outDir.resolve("." + n + ".tmp");
                tmp.put(n, t);
                temps.add(t);
            }
            Map<String, long[]> valCounts = new HashMap<>();
            Map<String, long[]> calCounts = new HashMap<>();
            Map<String, long[]> trainCounts = new HashMap<>();
            Set<String> held = new HashSet<>();
            long valWords = split(tmp.get(VALIDATION), gen, stream(o.seed(), 2), o.validationWords(), held, held,
                    valCounts, idx);
            long calWords = split(tmp.get(CALIBRATION), gen, stream(o.seed(), 3), o.calibrationWords(), held, held,
                    calCounts, idx);
            long trainWords = split(tmp.get(TRAIN), gen, stream(o.seed(), 1), o.trainWords(), held, null,
                    trainCounts, idx);
            writeLines(tmp.get(WG_DEV), sel.dev());
            writeLines(tmp.get(WG_TRAIN), sel.fewshot());
            writeLines(tmp.get(WG_EASY), easy.dev());
            writeStories(tmp.get(STORIES), stories.storyEndings());

            Map<String, Long> all = new HashMap<>();
            for (Map<String, long[]> m : List.of(trainCounts, valCounts, calCounts)) {
                m.forEach((k, v) -> all.merge(k, v[0], Long::sum));
            }
            List<String> taskTexts = new ArrayList<>();
            for (List<WinograndeItem> items : List.of(sel.dev(), sel.fewshot(), easy.dev())) {
                for (WinograndeItem it : items) {
                    taskTexts.addAll(List.of(it.sentence(), it.option1(), it.option2()));
                }
            }
            for (SceneTasks.StoryEnding st : stories.storyEndings()) {
                taskTexts.add(st.context());
                taskTexts.addAll(st.endings());
            }
            for (String text : taskTexts) {
                for (String t : text.split(" ")) {
                    all.merge(t, 1L, Long::sum);
                }
            }
            WordTokenizer tok = WordTokenizer.fromCounts(all, MAX_LENGTH);
            Files.writeString(tmp.get(TOKENIZER), tok.tokenizerJson(), StandardCharsets.UTF_8);
            Files.writeString(tmp.get(TOKENIZER_CONFIG), tok.tokenizerConfigJson(), StandardCharsets.UTF_8);

            double unigram = unigramLoss(trainCounts, trainWords, valCounts, valWords, tok.size());
            Files.writeString(tmp.get(README), readme(world, o, trainWords, valWords, calWords, sel, stories, easy.dev().size(),
                    tok, unigram, Files.size(tmp.get(TRAIN))), StandardCharsets.UTF_8);
            for (String n : names) {
                move(tmp.get(n), outDir.resolve(n));
            }
            return new TinyWorldFiles(outDir, outDir.resolve(TRAIN), outDir.resolve(VALIDATION),
                    outDir.resolve(CALIBRATION), outDir.resolve(WG_DEV), outDir.resolve(WG_TRAIN),
                    outDir.resolve(WG_EASY), outDir.resolve(STORIES), outDir.resolve(TOKENIZER),
                    outDir.resolve(TOKENIZER_CONFIG), outDir.resolve(README), trainWords, valWords, calWords,
                    sel.dev().size(), sel.fewshot().size(), easy.dev().size(), stories.storyEndings().size(), tok.size(),
                    unigram);
        } catch (IOException e) {
            throw new UncheckedIOException("Writing TinyWorld files to " + outDir + " failed", e);
        } finally {
            for (Path t : temps) {
                try {
                    Files.deleteIfExists(t);
                } catch (IOException ignored) {
                    // best effort cleanup
                }
            }
        }
    }

    /** Cross-entropy (nats/word) of validation words under add-one-smoothed training unigram frequencies. */
    static double unigramLoss(Map<String, long[]> train, long trainWords, Map<String, long[]> val, long valWords,
                              int vocab) {
        double sum = 0;
        for (Map.Entry<String, long[]> e : val.entrySet()) {
            long c = train.containsKey(e.getKey()) ? train.get(e.getKey())[0] : 0;
            double p = (c + 1.0) / (trainWords + vocab);
            sum -= e.getValue()[0] * Math.log(p);
        }
        return sum / valWords;
    }

    private static String readme(TinyWorld world, TinyWorldOptions o, long trainWords, long valWords, long calWords,
                                 WinograndeGenerator.Selection sel, SceneTasks.Selection stories, int easyItems, WordTokenizer tok, double unigram,
                                 long trainBytes) {
        StringBuilder b = new StringBuilder();
        b.append("# TinyWorld dataset (seed ").append(o.seed()).append(")\n\n");
        b.append("Generated by `org.minitron4j.tinyworld.TinyWorld.generate` (minitron4j). The same seed and options "
                + "always give byte-identical files, so this directory can be regenerated instead of stored.\n\n");
        b.append("A seeded English micro-world: ").append(world.entities().size()).append(" entities (people, "
                + "animals, objects) with fixed attributes on four-level scales (size, weight, speed, strength), a "
                + "colour, a home, liked foods, a habit, an owner and friends, and ").append(world.villagers().size())
                .append(" villagers (people with two-word names and their own size, speed, strength, home, foods and "
                + "habit) whom the corpus mentions at frequencies spread log-uniformly over three decades (the "
                + "most-mentioned about " + (long) TinyWorld.VILLAGER_FREQUENCY_RANGE + " times as often as the "
                + "rarest). Two documents in five state facts of the entities and two in five facts of villagers, in "
                + "many phrasings (attribute statements, comparisons, cause and effect, questions and answers), and "
                + "never contradict them; one in five is an in-context scene whose facts hold only inside the document "
                + "(who is hungry or tired, who is in which room, who has how many apples). Text is lowercase with "
                + "punctuation as separate tokens; one document (2-9 sentences) per line, documents separated by a "
                + "blank line.\n\n");
        b.append("## Files\n\n| file | content |\n|---|---|\n");
        b.append(String.format(Locale.ROOT, "| %s | training corpus, %d words, %d bytes |%n", TRAIN, trainWords,
                trainBytes).replace("\r", ""));
        b.append(String.format(Locale.ROOT, "| %s | validation corpus, %d words (documents disjoint from train) |\n",
                VALIDATION, valWords));
        b.append(String.format(Locale.ROOT, "| %s | calibration corpus for importance estimation, %d words |\n",
                CALIBRATION, calWords));
        b.append(String.format(Locale.ROOT, "| %s | %d Winogrande-format evaluation items (twins) with headroom: "
                + "knowledge of villagers, from rarely to often mentioned |\n", WG_DEV, sel.dev().size()));
        b.append(String.format(Locale.ROOT, "| %s | %d Winogrande-format few-shot items of the same kind, "
                + "disjoint from dev |\n", WG_TRAIN, sel.fewshot().size()));
        b.append(String.format(Locale.ROOT, "| %s | %d easy Winogrande-format items (world knowledge) |\n", WG_EASY,
                easyItems));
        b.append(String.format(Locale.ROOT, "| %s | %d multiple-choice story endings (4 choices; acc and acc_norm) |\n",
                STORIES, stories.storyEndings().size()));
        b.append(String.format(Locale.ROOT, "| %s, %s | word-level Hugging Face tokenizer, %d tokens "
                + "(<unk>, <s>, </s>, <pad>, then words by frequency) |\n", TOKENIZER, TOKENIZER_CONFIG, tok.size()));
        b.append(String.format(Locale.ROOT, "%nUnigram baseline on validation: %.4f nats/word.%n%n", unigram)
                .replace("\r", ""));
        b.append("## Tasks\n\n`" + WG_DEV + "`: each item is `<A> <frame> <B> because _ was too <adj> .` between "
                + "two villagers of neighbouring mention frequency, e.g. `greta turner could not win the tug of war "
                + "against elsa lane because _ was too strong .`; its twin flips the adjective (big/small, slow/fast, "
                + "weak/strong) and so the answer. The (frame, A, B) combinations never occur in the corpus; the "
                + "attributes that decide the answer are taught by other sentences, as often as the villagers are "
                + "mentioned. The qID `tw-b<band>-N-k` names the pair's frequency band, 0 (rarest tenth of the "
                + "villagers) to 9 (most often mentioned), so accuracy can be read against how often a fact was seen. "
                + "This is the knowledge that a smaller model holds less of, and that pruning removes first.\n\n"
                + "`" + STORIES + "` (HellaSwag-style, in-context) gives three people in three states, `then <name>`, "
                + "and four endings: that person's action, the other two people's and one of a state nobody is in. "
                + "No combination of people and states used by an item occurs in any corpus split.\n\n"
                + "`" + WG_EASY + "`: the same format between the entities, which the corpus mentions often: "
                + "recall of well-known facts, which the teacher masters.\n\n"
                + "No task sentence occurs in any corpus split. Answers are balanced 50/50 and option order is "
                + "random.\n\n");
        b.append("## Entities\n\n| entity | kind | size | weight | speed | strength | colour | home | owner |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (Entity e : world.entities()) {
            b.append("| ").append(e.name()).append(" | ").append(e.kind().noun);
            for (Attribute a : Attribute.values()) {
                b.append(" | ").append(e.has(a) ? String.valueOf(e.level(a)) : "-");
            }
            b.append(" | ").append(e.colour() == null ? "-" : e.colour()).append(" | ")
                    .append(e.home() == null ? "-" : e.home()).append(" | ")
                    .append(e.owner() == null ? "-" : e.owner()).append(" |\n");
        }
        b.append("\n## Villagers\n\nRarest first; the band is the one in the qIDs of the items about them.\n\n"
                + "| villager | band | relative frequency | size | speed | strength | home |\n"
                + "|---|---|---|---|---|---|---|\n");
        List<Entity> villagers = world.villagers();
        for (int k = 0; k < villagers.size(); k++) {
            Entity v = villagers.get(k);
            b.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %d | %d | %d | %s |%n", v.name(),
                    WinograndeGenerator.band(k, villagers.size()),
                    TinyWorld.villagerWeight(k, villagers.size()), v.level(Attribute.SIZE), v.level(Attribute.SPEED),
                    v.level(Attribute.STRENGTH), v.home()).replace("\r", ""));
        }
        b.append("\nLevels: 1 = very low, 2 = low, 3 = high, 4 = very high.\n");
        return b.toString();
    }
}
