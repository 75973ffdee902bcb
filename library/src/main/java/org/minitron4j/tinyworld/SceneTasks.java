package org.minitron4j.tinyworld;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.minitron4j.InvalidInputException;

/**
 * The tasks with headroom, built from {@link Scenes}: everything that decides an answer is stated in the item itself.
 * Winogrande-format twins in four families (the qID says which):
 * <ul>
 *   <li>{@code bind}: "anna was hungry and tom was tired , so _ went to sleep ." (in-context binding);</li>
 *   <li>{@code long}: the same states with world facts in between, "... later , _ went to sleep ." (long range);</li>
 *   <li>{@code room}: "the ball was in the red room . anna was in the red room and tom was in the blue room . so _ found
 *       the ball ." (two hops: object to room to person);</li>
 *   <li>{@code count}: "anna had three apples and tom had five apples . so _ had more apples ." (comparison);</li>
 * </ul>
 * and a HellaSwag-style multiple-choice task: three people in three states, "then tom", and four endings (the state's
 * action, the other two people's actions, one action of a state nobody is in), scored with acc and acc_norm.
 * Every combination used here is reserved, so no scene of the corpus contains it.
 */
final class SceneTasks {

    static final String[] FAMILIES = {"bind", "long", "room", "count"};

    /**
     * The task sets and the reserved combinations the corpus must avoid.
     *
     * @param dev          Winogrande-format evaluation items, the families interleaved
     * @param fewshot      few-shot items from the same families (disjoint combinations)
     * @param storyEndings multiple-choice items
     * @param reservedKeys every {@link Scenes} key used by any of them
     */
    record Selection(List<WinograndeItem> dev, List<WinograndeItem> fewshot, List<StoryEnding> storyEndings,
                     Set<String> reservedKeys) {
    }

    /** One multiple-choice item in the loader's schema (id, context, endings, label). */
    record StoryEnding(String id, String context, List<String> endings, int label) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("context", context);
            m.put("endings", endings);
            m.put("label", label);
            return m;
        }
    }

    private final Scenes scenes;
    private final SplittableRandom rng;
    private final Set<String> used = new HashSet<>();

    private SceneTasks(Scenes scenes, long seed) {
        this.scenes = scenes;
        this.rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1013);
    }

    /** Generates the sets (Winogrande counts rounded down to whole twins, spread evenly over the families). */
    static Selection generate(Scenes scenes, int devItems, int fewshotItems, int storyItems, long seed) {
        SceneTasks t = new SceneTasks(scenes, seed);
        List<WinograndeItem> dev = t.winogrande(devItems / 2, "tw-");
        List<WinograndeItem> few = t.winogrande(fewshotItems / 2, "tw-fs-");
        List<StoryEnding> stories = new ArrayList<>();
        for (int i = 0; i < storyItems; i++) {
            stories.add(t.storyEnding(String.format(Locale.ROOT, "story-%06d", i)));
        }
        return new Selection(List.copyOf(dev), List.copyOf(few), List.copyOf(stories), Set.copyOf(t.used));
    }

    /** A fresh key: true if it was not used yet (and is now). Gives up when the combinations run out. */
    private boolean claim(String key) {
        if (used.size() > 200_000) {
            throw new InvalidInputException("Too many TinyWorld scene tasks requested: the combinations ran out");
        }
        return used.add(key);
    }

    private List<WinograndeItem> winogrande(int twins, String prefix) {
        List<WinograndeItem> out = new ArrayList<>();
        for (int i = 0; i < twins; i++) {
            String family = FAMILIES[i % FAMILIES.length];
            String id = String.format(Locale.ROOT, "%s%s-%06d", prefix, family, i);
            out.addAll(switch (family) {
                case "bind" -> binding(id, false);
                case "long" -> binding(id, true);
                case "room" -> room(id);
                default -> count(id);
            });
        }
        return out;
    }

    private String person(int i) {
        return scenes.people().get(i).name();
    }

    private List<WinograndeItem> binding(String id, boolean longRange) {
        int[] who;
        int[] state;
        do {
            who = Scenes.distinct(rng, 2, scenes.people().size());
            state = Scenes.distinct(rng, 2, Scenes.STATES.length);
        } while (!claim(Scenes.bindKey(person(who[0]), state[0], person(who[1]), state[1])));
        String p = person(who[0]);
        String q = person(who[1]);
        String context;
        if (longRange) {
            StringBuilder b = new StringBuilder(Scenes.was(p, state[0])).append(" .");
            for (int d = 1 + rng.nextInt(2); d > 0; d--) {
                b.append(' ').append(scenes.distractor(rng));
            }
            b.append(' ').append(Scenes.was(q, state[1])).append(" .");
            for (int d = 1 + rng.nextInt(2); d > 0; d--) {
                b.append(' ').append(scenes.distractor(rng));
            }
            context = b.append(" later ,").toString();
        } else {
            context = Scenes.listing(List.of(Scenes.was(p, state[0]), Scenes.was(q, state[1]))) + " , so";
        }
        return twins(id, p, q, context + " _ " + Scenes.STATES[state[0]][1] + " .",
                context + " _ " + Scenes.STATES[state[1]][1] + " .");
    }

    private List<WinograndeItem> room(String id) {
        int[] who;
        int obj;
        int objRoom;
        int[] room;
        do {
            who = Scenes.distinct(rng, 2, scenes.people().size());
            obj = rng.nextInt(scenes.objects().size());
            objRoom = rng.nextInt(Scenes.ROOMS.length);
            int other = (objRoom + 1 + rng.nextInt(Scenes.ROOMS.length - 1)) % Scenes.ROOMS.length;
            room = new int[]{objRoom, other};
        } while (!claim(Scenes.roomKey(scenes.objects().get(obj).name(), objRoom, person(who[0]), room[0],
                person(who[1]), room[1])));
        String p = person(who[0]); // in the object's room
        String q = person(who[1]);
        String thing = scenes.objects().get(obj).name();
        List<String> where = rng.nextBoolean() ? List.of(Scenes.inRoom(p, room[0]), Scenes.inRoom(q, room[1]))
                : List.of(Scenes.inRoom(q, room[1]), Scenes.inRoom(p, room[0]));
        String objFact = Scenes.inRoom(thing, objRoom) + " .";
        String context = rng.nextBoolean() ? objFact + " " + Scenes.listing(where) + " ."
                : Scenes.listing(where) + " . " + objFact;
        return twins(id, p, q, context + " so _ found " + thing + " .", context + " so _ could not find " + thing + " .");
    }

    private List<WinograndeItem> count(String id) {
        int[] who;
        int thing;
        int[] n;
        do {
            who = Scenes.distinct(rng, 2, scenes.people().size());
            thing = rng.nextInt(Scenes.COUNTED.length);
            n = Scenes.distinct(rng, 2, Scenes.NUMBERS.length);
        } while (!claim(Scenes.countKey(thing, person(who[0]), n[0], person(who[1]), n[1])));
        String a = person(who[0]);
        String b = person(who[1]);
        String more = n[0] > n[1] ? a : b;
        String fewer = n[0] > n[1] ? b : a;
        String context = Scenes.had(a, n[0], thing) + " and " + Scenes.had(b, n[1], thing) + " . so";
        return twins(id, more, fewer, context + " _ had more " + Scenes.COUNTED[thing] + " .",
                context + " _ had fewer " + Scenes.COUNTED[thing] + " .");
    }

    /** Twin items: {@code first}'s answer is {@code x}, {@code second}'s is {@code y}; option order and item order random. */
    private List<WinograndeItem> twins(String id, String x, String y, String first, String second) {
        boolean xFirst = rng.nextBoolean();
        String o1 = xFirst ? x : y;
        String o2 = xFirst ? y : x;
        WinograndeItem a = new WinograndeItem(null, first, o1, o2, xFirst ? "1" : "2");
        WinograndeItem b = new WinograndeItem(null, second, o1, o2, xFirst ? "2" : "1");
        boolean aFirst = rng.nextBoolean();
        WinograndeItem one = aFirst ? a : b;
        WinograndeItem two = aFirst ? b : a;
        return List.of(new WinograndeItem(id + "-1", one.sentence(), o1, o2, one.answer()),
                new WinograndeItem(id + "-2", two.sentence(), o1, o2, two.answer()));
    }

    private StoryEnding storyEnding(String id) {
        int[] who;
        int[] state;
        String[] names;
        do {
            who = Scenes.distinct(rng, 3, scenes.people().size());
            state = Scenes.distinct(rng, 4, Scenes.STATES.length); // the fourth is nobody's
            names = new String[]{person(who[0]), person(who[1]), person(who[2])};
        } while (!claim(Scenes.tripleKey(names, new int[]{state[0], state[1], state[2]})));
        List<String> facts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            facts.add(Scenes.was(names[i], state[i]));
        }
        int target = rng.nextInt(3);
        String context = Scenes.listing(facts) + " . then " + names[target];
        List<Integer> endingStates = new ArrayList<>(List.of(state[0], state[1], state[2], state[3]));
        TinyWorld.shuffle(endingStates, rng);
        List<String> endings = new ArrayList<>();
        for (int s : endingStates) {
            endings.add(Scenes.STATES[s][1] + " .");
        }
        return new StoryEnding(id, context, endings, endingStates.indexOf(state[target]));
    }
}
