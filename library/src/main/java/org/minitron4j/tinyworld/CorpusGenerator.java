package org.minitron4j.tinyworld;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Generates documents (one paragraph of 2-9 short sentences, lowercase, punctuation as separate tokens) that state the
 * world's facts in many phrasings: attribute statements, comparisons, cause and effect, habits, homes, owners, friends,
 * questions and answers. Frame/entity-pair combinations reserved for the Winogrande tasks are never used.
 */
public final class CorpusGenerator {

    private final TinyWorld world;
    private final Set<String> reserved;
    private final List<Entity> all;
    private final Map<String, List<String>> owns = new TreeMap<>();
    private final Scenes scenes;

    /**
     * Creates a generator over a world; {@code reservedKeys} are {@link TinyWorld#key} values and {@link Scenes} keys
     * to avoid.
     */
    public CorpusGenerator(TinyWorld world, Set<String> reservedKeys) {
        this.world = world;
        this.reserved = Set.copyOf(reservedKeys);
        this.all = world.entities();
        this.scenes = new Scenes(world, reserved, this::distractor);
        for (Entity e : all) {
            if (e.owner() != null) {
                owns.computeIfAbsent(e.owner(), k -> new ArrayList<>()).add(e.name());
            }
        }
    }

    /**
     * One document as a single line of space-separated tokens (no trailing newline): an in-context scene ({@link Scenes})
     * one time in five, facts about a villager two times in five, otherwise facts of the world's other entities.
     */
    public String document(SplittableRandom rng) {
        int kind = rng.nextInt(5);
        if (kind == 0) {
            return scenes.document(rng);
        }
        if (kind <= 2) {
            return villagerDocument(rng);
        }
        int r = rng.nextInt(100);
        List<String> s;
        if (r < 45) {
            s = event(rng);
        } else if (r < 65) {
            s = profile(rng, randomEntity(rng));
        } else if (r < 85) {
            s = compare(rng, randomEntity(rng), null);
        } else {
            s = qa(rng);
        }
        return String.join(" ", s);
    }

    /**
     * Facts about one villager, drawn by its mention weight: a profile, a comparison with a partner, an event with a
     * partner, or questions about it and a partner. The partner is a villager or one of the world's entities.
     */
    private String villagerDocument(SplittableRandom rng) {
        Entity v = world.randomVillager(rng);
        int r = rng.nextInt(100);
        @Nullable List<String> s = null;
        if (r >= 40 && r < 65) {
            s = compare(rng, v, partner(rng, v));
        } else if (r >= 65 && r < 85) {
            s = villagerEvent(rng, v);
        } else if (r >= 85) {
            s = List.of(question(rng, v), question(rng, partner(rng, v)));
        }
        return String.join(" ", s != null ? s : profile(rng, v));
    }

    /** A villager other than {@code v} (drawn by mention weight) or, as often, an entity of the world. */
    private Entity partner(SplittableRandom rng, Entity v) {
        if (rng.nextBoolean()) {
            return randomEntity(rng);
        }
        Entity p;
        do {
            p = world.randomVillager(rng);
        } while (p == v);
        return p;
    }

    /** An event with {@code v} on either side of a frame it fits, or null when 20 draws find none unreserved. */
    private @Nullable List<String> villagerEvent(SplittableRandom rng, Entity v) {
        List<Frame> frames = TinyWorld.frames();
        for (int attempt = 0; attempt < 20; attempt++) {
            Frame f = frames.get(rng.nextInt(frames.size()));
            Entity p = partner(rng, v);
            boolean vFirst = rng.nextBoolean();
            Entity a = vFirst ? v : p;
            Entity b = vFirst ? p : v;
            if (f.valid(a, b) && !reserved.contains(TinyWorld.key(f, a, b))) {
                return event(rng, f, a, b);
            }
        }
        return null;
    }

    private static String pick(SplittableRandom rng, List<String> options) {
        return options.get(rng.nextInt(options.size()));
    }

    private static String pick(SplittableRandom rng, String... options) {
        return options[rng.nextInt(options.length)];
    }

    private Entity randomEntity(SplittableRandom rng) {
        return all.get(rng.nextInt(all.size()));
    }

    // ---------------------------------------------------------------- sentence makers

    String attribute(SplittableRandom rng, Entity e, Attribute a) {
        int l = e.level(a);
        String w = pick(rng, a.phrases(l));
        String opp = l >= 3 ? a.low : a.high;
        String n = e.name();
        switch (rng.nextInt(7)) {
            case 0: return n + " is a " + w + " " + e.kind().noun + " .";
            case 1: return "everyone knows that " + n + " is " + w + " .";
            case 2: return n + " is not " + opp + " .";
            case 3: return n + " is " + w + " , not " + opp + " .";
            case 4: return "it is true that " + n + " is " + w + " .";
            default: return n + " is " + w + " .";
        }
    }

    String comparison(SplittableRandom rng, Entity a, Entity b, Attribute at) {
        int la = a.level(at);
        int lb = b.level(at);
        if (la == lb) {
            return rng.nextBoolean() ? a.name() + " is as " + at.adjective(la) + " as " + b.name() + " ."
                    : a.name() + " and " + b.name() + " are the same " + at.noun + " .";
        }
        Entity hi = la > lb ? a : b;
        Entity lo = la > lb ? b : a;
        int k = rng.nextInt(Math.abs(la - lb) >= 2 ? 5 : 4);
        switch (k) {
            case 0: return hi.name() + " is " + at.highComparative + " than " + lo.name() + " .";
            case 1: return lo.name() + " is " + at.lowComparative + " than " + hi.name() + " .";
            case 2: return lo.name() + " is not as " + at.high + " as " + hi.name() + " .";
            case 3: return "which one is " + at.highComparative + " , " + a.name() + " or " + b.name() + " ? "
                    + hi.name() + " is " + at.highComparative + " .";
            default: return hi.name() + " is much " + at.highComparative + " than " + lo.name() + " .";
        }
    }

    String cause(SplittableRandom rng, Frame f, Entity a, Entity b) {
        boolean sideA = rng.nextBoolean();
        Entity x = sideA ? a : b;
        String adj = sideA ? f.adjA() : f.adjB();
        String p = f.render(a, b);
        String why = x.name() + " was too " + adj;
        int k = rng.nextInt(10);
        switch (k) {
            case 0: return why + " , so " + p + " .";
            case 1: return "because " + why + " , " + p + " .";
            case 2: return p + " . " + why + " .";
            case 3: return p + " because " + a.name() + " was " + f.adjA() + " and " + b.name() + " was "
                    + f.adjB() + " .";
            case 4: return p + " . why ? because " + why + " .";
            case 5: return "yesterday , " + p + " because " + why + " .";
            default: return p + " because " + why + " .";
        }
    }

    private String fact(SplittableRandom rng, Entity e) {
        List<Attribute> attrs = new ArrayList<>(e.levels().keySet());
        String n = e.name();
        int k = rng.nextInt(10);
        if (k < 4) {
            return attribute(rng, e, attrs.get(rng.nextInt(attrs.size())));
        }
        if (k == 4 && e.colour() != null) {
            return pick(rng, n + " is " + e.colour() + " .", "the colour of " + n + " is " + e.colour() + " .");
        }
        if (k == 5 && e.home() != null) {
            String place = e.home().substring(e.home().indexOf(' ') + 1);
            return pick(rng, n + " lives " + e.home() + " .", "the home of " + n + " is " + place + " .");
        }
        if (k == 6 && !e.foods().isEmpty()) {
            String food = pick(rng, e.foods());
            return pick(rng, n + " likes " + food + " .", n + " likes to eat " + food + " .",
                    "the favourite food of " + n + " is " + e.foods().get(0) + " .",
                    n + " eats " + food + " every day .");
        }
        if (k == 7 && e.habit() >= 0) {
            String[] act = TinyWorld.ACTIVITIES[e.habit()];
            return pick(rng, n + " likes to " + act[0] + " " + e.time() + " .", e.time() + " , " + n + " "
                    + act[1] + " .", n + " often " + act[1] + " " + e.time() + " .");
        }
        if (k == 8 && e.owner() != null) {
            return pick(rng, e.owner() + " owns " + n + " .", n + " belongs to " + e.owner() + " .",
                    "the owner of " + n + " is " + e.owner() + " .", e.owner() + " takes care of " + n + " .");
        }
        if (k == 9 && e.kind() == Entity.Kind.PERSON) {
            List<String> fr = world.friendsOf(n);
            List<String> own = owns.getOrDefault(n, List.of());
            if (!fr.isEmpty() && rng.nextBoolean()) {
                String q = pick(rng, fr);
                return pick(rng, n + " and " + q + " are friends .", n + " is a friend of " + q + " .",
                        n + " often plays with " + q + " .");
            }
            if (!own.isEmpty()) {
                return n + " owns " + pick(rng, own) + " .";
            }
        }
        return attribute(rng, e, attrs.get(rng.nextInt(attrs.size())));
    }

    /** A fact about a random entity: the filler between the facts of a long-range scene. */
    String distractor(SplittableRandom rng) {
        return fact(rng, randomEntity(rng));
    }

    private String question(SplittableRandom rng, Entity e) {
        List<Attribute> attrs = new ArrayList<>(e.levels().keySet());
        Attribute a = attrs.get(rng.nextInt(attrs.size()));
        int l = e.level(a);
        String n = e.name();
        String w = pick(rng, a.phrases(l));
        switch (rng.nextInt(6)) {
            case 0: {
                String adj = rng.nextBoolean() ? a.high : a.low;
                boolean yes = adj.equals(a.adjective(l));
                return "is " + n + " " + adj + " ? " + (yes ? "yes" : "no") + " , " + n + " is " + w + " .";
            }
            case 1:
                return "how " + a.high + " is " + n + " ? " + n + " is " + w + " .";
            case 2:
                if (e.colour() != null) {
                    return "what colour is " + n + " ? " + n + " is " + e.colour() + " .";
                }
                break;
            case 3:
                if (e.home() != null) {
                    return "where does " + n + " live ? " + n + " lives " + e.home() + " .";
                }
                break;
            case 4:
                if (e.owner() != null) {
                    return "who owns " + n + " ? " + e.owner() + " owns " + n + " .";
                }
                break;
            default:
                if (!e.foods().isEmpty()) {
                    return "what does " + n + " like to eat ? " + n + " likes " + pick(rng, e.foods()) + " .";
                }
        }
        return "how " + a.high + " is " + n + " ? " + n + " is " + w + " .";
    }

    // ---------------------------------------------------------------- document types

    private List<String> event(SplittableRandom rng) {
        List<Frame> frames = TinyWorld.frames();
        Frame f;
        int[] pair;
        while (true) {
            f = frames.get(rng.nextInt(frames.size()));
            List<int[]> pairs = world.validPairs(f.id());
            if (pairs.isEmpty()) {
                continue;
            }
            pair = pairs.get(rng.nextInt(pairs.size()));
            if (!reserved.contains(TinyWorld.key(f, all.get(pair[0]), all.get(pair[1])))) {
                break;
            }
        }
        return event(rng, f, all.get(pair[0]), all.get(pair[1]));
    }

    /** A short story around the frame {@code f} with {@code a} and {@code b}: its cause and some supporting facts. */
    private List<String> event(SplittableRandom rng, Frame f, Entity a, Entity b) {
        List<String> out = new ArrayList<>();
        int opener = rng.nextInt(6);
        if (opener == 0) {
            out.add("this is a story about " + a.name() + " and " + b.name() + " .");
        } else if (opener == 1) {
            out.add("here is a short story .");
        }
        out.add(cause(rng, f, a, b));
        List<String> support = new ArrayList<>();
        support.add(attribute(rng, a, f.attrA()));
        support.add(attribute(rng, b, f.attrB()));
        if (b.has(f.attrA())) {
            support.add(comparison(rng, a, b, f.attrA()));
        }
        if (a.has(f.attrB()) && f.attrB() != f.attrA()) {
            support.add(comparison(rng, a, b, f.attrB()));
        }
        TinyWorld.shuffle(support, rng);
        int keep = rng.nextInt(support.size() + 1);
        out.addAll(support.subList(0, keep));
        if (out.size() < 2 || rng.nextInt(3) == 0) {
            out.add(cause(rng, f, a, b).equals(out.get(out.size() - 1)) ? attribute(rng, a, f.attrA())
                    : cause(rng, f, a, b));
        }
        return out;
    }

    private List<String> profile(SplittableRandom rng, Entity e) {
        int n = 3 + rng.nextInt(4);
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            String s = fact(rng, e);
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Comparisons of {@code a} with {@code b} (a random other entity when null) on the attributes they share. */
    private List<String> compare(SplittableRandom rng, Entity a, @Nullable Entity partner) {
        Entity b = partner;
        while (b == null || b == a) {
            b = randomEntity(rng);
        }
        List<Attribute> common = new ArrayList<>();
        for (Attribute at : Attribute.values()) {
            if (a.has(at) && b.has(at)) {
                common.add(at);
            }
        }
        TinyWorld.shuffle(common, rng);
        List<String> out = new ArrayList<>();
        int n = 1 + rng.nextInt(common.size());
        for (int i = 0; i < n; i++) {
            out.add(comparison(rng, a, b, common.get(i)));
        }
        Attribute at = common.get(0);
        out.add(rng.nextInt(out.size() + 1), attribute(rng, a, at));
        if (rng.nextBoolean()) {
            out.add(attribute(rng, b, at));
        }
        return out;
    }

    private List<String> qa(SplittableRandom rng) {
        int n = 2 + rng.nextInt(3);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(question(rng, randomEntity(rng)));
        }
        return out;
    }
}
