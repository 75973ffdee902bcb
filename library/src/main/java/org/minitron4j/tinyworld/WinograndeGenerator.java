package org.minitron4j.tinyworld;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.minitron4j.InvalidInputException;

/**
 * Builds Winogrande-format twin items ("{A} could not carry {B} because _ was too heavy/weak .") from frame and
 * entity-pair combinations that are reserved, i.e. never used by the corpus, so no task sentence occurs in it; the
 * answer follows from the two entities' attributes, which the corpus teaches through other sentences.
 */
public final class WinograndeGenerator {

    private WinograndeGenerator() {
    }

    /**
     * The generated item sets and the reserved combinations the corpus must avoid.
     *
     * @param dev          evaluation items
     * @param fewshot      few-shot items (disjoint from dev)
     * @param reservedKeys {@link TinyWorld#key} of every (frame, A, B) used by either set
     */
    public record Selection(List<WinograndeItem> dev, List<WinograndeItem> fewshot, Set<String> reservedKeys) {
    }

    /** Generates {@code devItems} and {@code fewshotItems} items (each rounded down to an even number of twins). */
    public static Selection generate(TinyWorld world, int devItems, int fewshotItems, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 77);
        List<Entity> all = world.entities();
        // Candidate (frame, pair) triples grouped by family (attribute pair), each group shuffled.
        TreeMap<String, List<int[]>> groups = new TreeMap<>();
        int total = 0;
        for (Frame f : TinyWorld.frames()) {
            String fam = f.attrA() + "/" + f.attrB();
            for (int[] p : world.validPairs(f.id())) {
                groups.computeIfAbsent(fam, k -> new ArrayList<>()).add(new int[]{f.id(), p[0], p[1]});
                total++;
            }
        }
        int devPairs = devItems / 2;
        int fewPairs = fewshotItems / 2;
        if (devPairs + fewPairs > total / 2) {
            throw new InvalidInputException("Too many Winogrande items requested: " + (devItems + fewshotItems)
                    + " (at most " + total + " for this world, so that half the combinations stay in the corpus)");
        }
        List<List<int[]>> lists = new ArrayList<>(groups.values());
        for (List<int[]> l : lists) {
            TinyWorld.shuffle(l, rng);
        }
        List<int[]> chosen = new ArrayList<>();
        int[] next = new int[lists.size()];
        for (int g = 0; chosen.size() < devPairs + fewPairs; g = (g + 1) % lists.size()) {
            if (next[g] < lists.get(g).size()) {
                chosen.add(lists.get(g).get(next[g]++));
            }
        }
        Set<String> reserved = new TreeSet<>();
        List<WinograndeItem> dev = new ArrayList<>();
        List<WinograndeItem> few = new ArrayList<>();
        for (int i = 0; i < chosen.size(); i++) {
            int[] t = chosen.get(i);
            Frame f = TinyWorld.frames().get(t[0]);
            Entity a = all.get(t[1]);
            Entity b = all.get(t[2]);
            reserved.add(TinyWorld.key(f, a, b));
            boolean devSet = i < devPairs;
            int index = devSet ? i : i - devPairs;
            String id = String.format(Locale.ROOT, "tw-%s%06d", devSet ? "" : "fs-", index);
            List<WinograndeItem> target = devSet ? dev : few;
            target.addAll(twins(rng, id, f, a, b));
        }
        return new Selection(List.copyOf(dev), List.copyOf(few), Set.copyOf(reserved));
    }

    /** Rank distance within which two villagers are paired: items compare villagers mentioned about as often. */
    static final int VILLAGER_NEIGHBOURS = 3;
    /** Frequency bands in villager item ids ({@code tw-b<band>-N-k}, band 0 the rarest villagers). */
    static final int VILLAGER_BANDS = 10;

    /**
     * Knowledge items with headroom: the same frames as {@link #generate}, each between two villagers of neighbouring
     * mention frequency, at most one frame per pair. The id names the pair's frequency band, so accuracy can be read
     * against how often the deciding facts occur in the corpus. Combinations are reserved, as in {@link #generate}.
     */
    public static Selection villagers(TinyWorld world, int devItems, int fewshotItems, long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 131);
        List<Entity> v = world.villagers();
        List<int[]> candidates = new ArrayList<>(); // {frame, rank of A, rank of B}
        for (int i = 0; i < v.size(); i++) {
            for (int j = i + 1; j < v.size() && j <= i + VILLAGER_NEIGHBOURS; j++) {
                List<int[]> fits = new ArrayList<>();
                for (Frame f : TinyWorld.frames()) {
                    if (f.valid(v.get(i), v.get(j))) {
                        fits.add(new int[]{f.id(), i, j});
                    }
                    if (f.valid(v.get(j), v.get(i))) {
                        fits.add(new int[]{f.id(), j, i});
                    }
                }
                if (!fits.isEmpty()) {
                    candidates.add(fits.get(rng.nextInt(fits.size())));
                }
            }
        }
        int devPairs = devItems / 2;
        int fewPairs = fewshotItems / 2;
        if (devPairs + fewPairs > candidates.size()) {
            throw new InvalidInputException("Too many Winogrande items requested: " + (devItems + fewshotItems)
                    + " (at most " + 2 * candidates.size() + " villager items for this world)");
        }
        TinyWorld.shuffle(candidates, rng);
        Set<String> reserved = new TreeSet<>();
        List<WinograndeItem> dev = new ArrayList<>();
        List<WinograndeItem> few = new ArrayList<>();
        for (int i = 0; i < devPairs + fewPairs; i++) {
            int[] t = candidates.get(i);
            Frame f = TinyWorld.frames().get(t[0]);
            Entity a = v.get(t[1]);
            Entity b = v.get(t[2]);
            reserved.add(TinyWorld.key(f, a, b));
            int band = band(Math.min(t[1], t[2]), v.size());
            boolean devSet = i < devPairs;
            String id = String.format(Locale.ROOT, "tw-%sb%d-%06d", devSet ? "" : "fs-", band,
                    devSet ? i : i - devPairs);
            (devSet ? dev : few).addAll(twins(rng, id, f, a, b));
        }
        return new Selection(List.copyOf(dev), List.copyOf(few), Set.copyOf(reserved));
    }

    /** Frequency band (0 = rarest tenth) of the villager of rank {@code rank} of {@code n}. */
    static int band(int rank, int n) {
        return rank * VILLAGER_BANDS / n;
    }

    private static List<WinograndeItem> twins(SplittableRandom rng, String id, Frame f, Entity a, Entity b) {
        String prefix = f.render(a, b) + " because _ was too ";
        boolean aFirst = rng.nextBoolean();
        String o1 = aFirst ? a.name() : b.name();
        String o2 = aFirst ? b.name() : a.name();
        WinograndeItem itemA = new WinograndeItem(null, prefix + f.adjA() + " .", o1, o2, aFirst ? "1" : "2");
        WinograndeItem itemB = new WinograndeItem(null, prefix + f.adjB() + " .", o1, o2, aFirst ? "2" : "1");
        boolean aOne = rng.nextBoolean();
        WinograndeItem first = aOne ? itemA : itemB;
        WinograndeItem second = aOne ? itemB : itemA;
        return List.of(withId(first, id + "-1"), withId(second, id + "-2"));
    }

    private static WinograndeItem withId(WinograndeItem it, String id) {
        return new WinograndeItem(id, it.sentence(), it.option1(), it.option2(), it.answer());
    }
}
