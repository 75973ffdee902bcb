package org.minitron4j.tinyworld;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The seeded micro-world: people, animals and objects with fixed, mutually consistent attributes (size, weight, speed,
 * strength on ordered four-level scales, colour, home, liked foods, habit, owner, friends) and the cause-and-effect
 * frames that the corpus and the Winogrande tasks are built from. Use {@link #generate} to write the whole dataset.
 */
public final class TinyWorld {

    /** Activities for habits: base form and third-person form. */
    static final String[][] ACTIVITIES = {
            {"sleep", "sleeps"}, {"play", "plays"}, {"run", "runs"}, {"swim", "swims"}, {"jump", "jumps"},
            {"walk", "walks"}, {"dance", "dances"}, {"sing", "sings"}, {"climb", "climbs"}, {"dig", "digs"},
            {"rest", "rests"}};
    static final String[] TIMES = {"in the morning", "in the afternoon", "in the evening", "at night"};
    static final String[] PLACES = {"in the park", "on the farm", "in the forest", "near the river", "on the hill",
            "near the lake", "in the town", "in the garden", "in the village", "on the beach"};
    static final String[] FOODS = {"apples", "bread", "fish", "carrots", "cheese", "honey", "nuts", "grass", "cake",
            "milk", "rice", "eggs", "corn", "soup"};
    static final String[] COLOURS = {"red", "blue", "green", "yellow", "brown", "black", "white", "grey", "orange",
            "pink"};
    private static final String[] NAMES = {"anna", "tom", "mia", "ben", "lily", "sam", "emma", "max", "lucy", "jack",
            "nora", "leo", "ella", "finn", "zoe", "omar", "rosa", "ivan", "kate", "paul", "amy", "dan", "eva", "noah"};
    private static final int PEOPLE = 16;
    /**
     * Villagers: people with two-word names (first x last), mentioned in the corpus at frequencies spread log-uniformly
     * over three decades, so a model knows the often-mentioned ones and not the rare ones: the knowledge tasks' headroom.
     */
    private static final String[] VILLAGER_FIRST = {"alba", "bruno", "carla", "dario", "elsa", "felix", "greta",
            "hugo", "ines", "jonas", "karla", "lukas", "marta", "nils", "olga", "piet", "rita", "sven", "tilda",
            "viktor"};
    private static final String[] VILLAGER_LAST = {"baker", "carter", "fisher", "garner", "hunter", "keller", "lane",
            "miller", "parker", "porter", "reed", "rider", "shaw", "slater", "stark", "tanner", "turner", "walker",
            "webb", "young"};
    /** Ratio between the most and the least often mentioned villager. */
    static final double VILLAGER_FREQUENCY_RANGE = 1000;
    /** Animals: name, size, weight, speed, strength. */
    private static final String[] ANIMALS = {
            "elephant 4 4 2 4", "mouse 1 1 3 1", "cat 2 2 4 2", "dog 3 2 4 3", "horse 4 4 4 4", "cow 4 4 1 4",
            "sheep 3 3 2 2", "pig 3 3 2 3", "duck 2 1 2 1", "hen 2 1 2 1", "rabbit 1 1 4 1", "fox 2 2 4 2",
            "bear 4 4 3 4", "wolf 3 3 4 3", "snail 1 1 1 1", "turtle 2 2 1 2", "frog 1 1 3 1", "owl 2 1 3 2",
            "goat 3 2 3 3", "lion 4 4 4 4", "deer 3 3 4 2", "squirrel 1 1 4 1", "bee 1 1 3 1", "tiger 4 4 4 4"};
    /** Objects: name, size, weight. */
    private static final String[] OBJECTS = {
            "rock 2 4", "feather 1 1", "box 3 2", "ball 2 1", "table 3 3", "chair 2 2", "piano 4 4", "pillow 2 1",
            "car 4 4", "bike 3 2", "cup 1 1", "book 2 2", "bag 2 1", "hammer 1 3", "barrel 3 4", "log 3 4",
            "stone 1 3", "balloon 3 1", "kite 3 1", "bucket 2 2", "sofa 4 4", "lamp 2 2", "bed 4 3", "basket 2 1"};

    private static final Attribute S = Attribute.SIZE;
    private static final Attribute W = Attribute.WEIGHT;
    private static final Attribute V = Attribute.SPEED;
    private static final Attribute F = Attribute.STRENGTH;

    private static final List<Frame> FRAMES = buildFrames();

    private static List<Frame> buildFrames() {
        List<Frame> f = new ArrayList<>();
        // Size: A is big ("too big"), B is small ("too small").
        String[][] size = {{"{A} could not hide behind {B}", "aa"}, {"{A} could not sit on {B}", "a-"},
                {"{A} could not fit under {B}", "--"}, {"{A} could not ride on {B}", "aa"},
                {"{A} could not sleep in the bed of {B}", "aa"}, {"{B} could not see over {A}", "-a"},
                {"{B} could not climb over {A}", "-a"}, {"{B} could not reach the top of {A}", "-a"},
                {"{B} could not step over {A}", "-a"}};
        for (String[] s : size) {
            f.add(new Frame(f.size(), s[0], S, true, S, false, s[1].charAt(0) == 'a', s[1].charAt(1) == 'a'));
        }
        // Carrying: A is weak ("too weak"), B is heavy ("too heavy").
        for (String verb : new String[]{"carry", "lift", "pull", "push", "move", "pick up", "hold"}) {
            f.add(new Frame(f.size(), "{A} could not " + verb + " {B}", F, false, W, true, true, false));
        }
        // Speed: A is slow ("too slow"), B is fast ("too fast").
        for (String t : new String[]{"{A} could not catch {B}", "{A} could not keep up with {B}",
                "{A} lost the race against {B}", "{A} could not run away from {B}", "{A} could not follow {B}",
                "{A} arrived long after {B}", "{B} always won the race against {A}"}) {
            f.add(new Frame(f.size(), t, V, false, V, true, true, true));
        }
        // Strength: A is weak ("too weak"), B is strong ("too strong").
        for (String t : new String[]{"{A} lost the fight against {B}", "{A} could not beat {B} in a fight",
                "{A} could not win the tug of war against {B}", "{A} could not stop {B}",
                "{B} easily pushed {A} away", "{B} won the fight against {A}"}) {
            f.add(new Frame(f.size(), t, F, false, F, true, true, true));
        }
        return Collections.unmodifiableList(f);
    }

    private final long seed;
    private final List<Entity> entities;
    private final Map<String, Entity> byName;
    private final Map<String, List<String>> friends;
    private final List<List<int[]>> validPairs;
    private final List<Entity> villagers;
    /** Cumulative mention weights of {@link #villagers}, for sampling. */
    private final double[] villagerCdf;

    private TinyWorld(long seed, List<Entity> entities, List<Entity> villagers, Map<String, List<String>> friends) {
        this.seed = seed;
        this.entities = List.copyOf(entities);
        this.villagers = List.copyOf(villagers);
        Map<String, Entity> m = new TreeMap<>();
        for (Entity e : entities) {
            m.put(e.name(), e);
        }
        for (Entity e : villagers) {
            m.put(e.name(), e);
        }
        villagerCdf = new double[villagers.size()];
        double sum = 0;
        for (int k = 0; k < villagers.size(); k++) {
            sum += villagerWeight(k, villagers.size());
            villagerCdf[k] = sum;
        }
        this.byName = Collections.unmodifiableMap(m);
        this.friends = friends;
        List<List<int[]>> vp = new ArrayList<>();
        for (Frame fr : FRAMES) {
            List<int[]> pairs = new ArrayList<>();
            for (int i = 0; i < entities.size(); i++) {
                for (int j = 0; j < entities.size(); j++) {
                    if (fr.valid(entities.get(i), entities.get(j))) {
                        pairs.add(new int[]{i, j});
                    }
                }
            }
            vp.add(pairs);
        }
        this.validPairs = vp;
    }

    /** Builds the world for a seed; the same seed always gives the same world. */
    public static TinyWorld build(long seed) {
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<String> names = new ArrayList<>(List.of(NAMES));
        shuffle(names, rng);
        List<String> people = new ArrayList<>(names.subList(0, PEOPLE));
        Collections.sort(people);
        List<Entity> out = new ArrayList<>();
        for (String p : people) {
            out.add(randomPerson(p, rng));
        }
        for (String a : ANIMALS) {
            String[] t = a.split(" ");
            Map<Attribute, Integer> lv = new EnumMap<>(Attribute.class);
            lv.put(S, Integer.parseInt(t[1]));
            lv.put(W, Integer.parseInt(t[2]));
            lv.put(V, Integer.parseInt(t[3]));
            lv.put(F, Integer.parseInt(t[4]));
            String owner = rng.nextInt(2) == 0 ? people.get(rng.nextInt(people.size())) : null;
            out.add(new Entity("the " + t[0], Entity.Kind.ANIMAL, lv, COLOURS[rng.nextInt(COLOURS.length)],
                    PLACES[rng.nextInt(PLACES.length)], foods(rng), rng.nextInt(ACTIVITIES.length),
                    TIMES[rng.nextInt(TIMES.length)], owner));
        }
        for (String o : OBJECTS) {
            String[] t = o.split(" ");
            Map<Attribute, Integer> lv = new EnumMap<>(Attribute.class);
            lv.put(S, Integer.parseInt(t[1]));
            lv.put(W, Integer.parseInt(t[2]));
            out.add(new Entity("the " + t[0], Entity.Kind.OBJECT, lv, COLOURS[rng.nextInt(COLOURS.length)], null,
                    List.of(), -1, null, people.get(rng.nextInt(people.size()))));
        }
        Map<String, TreeSet<String>> fr = new TreeMap<>();
        for (String p : people) {
            fr.put(p, new TreeSet<>());
        }
        for (String p : people) {
            String q = people.get(rng.nextInt(people.size()));
            if (!q.equals(p)) {
                fr.get(p).add(q);
                fr.get(q).add(p);
            }
        }
        Map<String, List<String>> friends = new TreeMap<>();
        fr.forEach((k, v) -> friends.put(k, List.copyOf(v)));
        // Villagers in a random order: the order is their rank by mention frequency (first = rarest).
        List<String> villagerNames = new ArrayList<>();
        for (String first : VILLAGER_FIRST) {
            for (String last : VILLAGER_LAST) {
                villagerNames.add(first + " " + last);
            }
        }
        shuffle(villagerNames, rng);
        List<Entity> villagers = new ArrayList<>();
        for (String v : villagerNames) {
            villagers.add(randomPerson(v, rng));
        }
        return new TinyWorld(seed, out, villagers, Collections.unmodifiableMap(friends));
    }

    /** A person with random size, speed and strength levels, home, foods and habit (drawn in that order). */
    private static Entity randomPerson(String name, SplittableRandom rng) {
        Map<Attribute, Integer> lv = new EnumMap<>(Attribute.class);
        lv.put(S, 1 + rng.nextInt(4));
        lv.put(V, 1 + rng.nextInt(4));
        lv.put(F, 1 + rng.nextInt(4));
        return new Entity(name, Entity.Kind.PERSON, lv, null, PLACES[rng.nextInt(PLACES.length)], foods(rng),
                rng.nextInt(ACTIVITIES.length), TIMES[rng.nextInt(TIMES.length)], null);
    }

    private static List<String> foods(SplittableRandom rng) {
        int a = rng.nextInt(FOODS.length);
        int b = (a + 1 + rng.nextInt(FOODS.length - 1)) % FOODS.length;
        return List.of(FOODS[a], FOODS[b]);
    }

    static <T> void shuffle(List<T> list, SplittableRandom rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            Collections.swap(list, i, rng.nextInt(i + 1));
        }
    }

    /** The seed this world was built from. */
    public long seed() {
        return seed;
    }

    /** All entities in a fixed order (people alphabetically, then animals, then objects). */
    public List<Entity> entities() {
        return entities;
    }

    /**
     * The villagers, rarest first: villager k is mentioned {@link #villagerWeight} times as often as villager 0. They
     * are not among {@link #entities()}: the corpus and the knowledge tasks treat them apart.
     */
    public List<Entity> villagers() {
        return villagers;
    }

    /** Relative mention frequency of the villager of rank k of n: log-uniform from 1 to the frequency range. */
    static double villagerWeight(int k, int n) {
        return Math.pow(VILLAGER_FREQUENCY_RANGE, n == 1 ? 0 : k / (double) (n - 1));
    }

    /** A villager drawn with probability proportional to its mention weight. */
    Entity randomVillager(SplittableRandom rng) {
        double u = rng.nextDouble() * villagerCdf[villagerCdf.length - 1];
        int i = Arrays.binarySearch(villagerCdf, u);
        return villagers.get(Math.min(villagers.size() - 1, i >= 0 ? i + 1 : -i - 1));
    }

    /** Entity or villager by surface name ("the cat", "anna", "alba baker"), or null. */
    public @Nullable Entity entity(String name) {
        return byName.get(name);
    }

    /** Friends of a person (sorted, symmetric), empty for non-people. */
    public List<String> friendsOf(String person) {
        return friends.getOrDefault(person, List.of());
    }

    static List<Frame> frames() {
        return FRAMES;
    }

    List<int[]> validPairs(int frame) {
        return validPairs.get(frame);
    }

    /**
     * Writes the whole dataset into {@code outDir}: train/validation/calibration corpora, Winogrande dev and few-shot
     * JSONL, tokenizer.json, tokenizer_config.json and a README.md. Each file is written to a temporary file and renamed.
     */
    public static TinyWorldFiles generate(java.nio.file.Path outDir, TinyWorldOptions options) {
        return DatasetWriter.generate(outDir, options);
    }

    /** Key of a (frame, A, B) combination; reserved keys never occur in the corpus. */
    static String key(Frame f, Entity a, Entity b) {
        return f.id() + "|" + a.name() + "|" + b.name();
    }
}
