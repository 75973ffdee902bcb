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
 * The story-ending task, built from {@link Scenes}: a HellaSwag-style multiple choice in which everything that decides
 * the answer is stated in the item itself. Three people in three states ("anna was hungry , tom was tired and mia was
 * cold"), "then tom", and four endings (the state's action, the other two people's actions, one action of a state
 * nobody is in), scored with acc and acc_norm. Every combination used here is reserved, so no scene of the corpus
 * contains it.
 */
final class SceneTasks {

    /**
     * The items and the reserved combinations the corpus must avoid.
     *
     * @param storyEndings multiple-choice items
     * @param reservedKeys every {@link Scenes} key used by any of them
     */
    record Selection(List<StoryEnding> storyEndings, Set<String> reservedKeys) {
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

    /** Generates {@code storyItems} story endings. */
    static Selection generate(Scenes scenes, int storyItems, long seed) {
        SceneTasks t = new SceneTasks(scenes, seed);
        List<StoryEnding> stories = new ArrayList<>();
        for (int i = 0; i < storyItems; i++) {
            stories.add(t.storyEnding(String.format(Locale.ROOT, "story-%06d", i)));
        }
        return new Selection(List.copyOf(stories), Set.copyOf(t.used));
    }

    /** A fresh key: true if it was not used yet (and is now). Gives up when the combinations run out. */
    private boolean claim(String key) {
        if (used.size() > 200_000) {
            throw new InvalidInputException("Too many TinyWorld scene tasks requested: the combinations ran out");
        }
        return used.add(key);
    }

    private String person(int i) {
        return scenes.people().get(i).name();
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
