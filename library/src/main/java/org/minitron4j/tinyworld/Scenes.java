package org.minitron4j.tinyworld;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * In-context scenes: short stories whose facts hold only inside the document (who is hungry, who is in which room, who
 * has how many apples), so a model must bind them from its own context rather than recall them. Four kinds:
 * <ul>
 *   <li>binding: two or three people, each in a state; each acts on their own state ("anna was hungry and tom was
 *       tired , so tom went to sleep .");</li>
 *   <li>long range: the same, with world facts between the states and the outcome;</li>
 *   <li>rooms (two hops): an object is in a coloured room, people are in rooms; who is in the object's room finds it;</li>
 *   <li>counts (comparison): two people have a number of things; who has more, who has fewer.</li>
 * </ul>
 * The combinations reserved for the story endings ({@link #tripleKey}) never occur in a scene.
 */
final class Scenes {

    /** States and the action each one leads to. */
    static final String[][] STATES = {{"hungry", "ate some food"}, {"tired", "went to sleep"},
            {"thirsty", "drank some water"}, {"cold", "put on a coat"}, {"bored", "played a game"},
            {"sad", "called a friend"}};
    /** Number words in increasing order. */
    static final String[] NUMBERS = {"two", "three", "four", "five", "six", "seven", "eight", "nine"};
    static final String[] ROOMS = {"red", "blue", "green", "yellow", "white"};
    static final String[] COUNTED = {"apples", "books", "coins", "cakes", "stones", "shells"};

    private final List<Entity> people;
    private final List<Entity> objects;
    private final Set<String> reserved;
    private final Function<SplittableRandom, String> distractor;

    /**
     * @param distractor a world fact sentence about no one in particular, used between a scene's facts
     */
    Scenes(TinyWorld world, Set<String> reservedKeys, Function<SplittableRandom, String> distractor) {
        this.people = world.entities().stream().filter(e -> e.kind() == Entity.Kind.PERSON).toList();
        this.objects = world.entities().stream().filter(e -> e.kind() == Entity.Kind.OBJECT).toList();
        this.reserved = Set.copyOf(reservedKeys);
        this.distractor = distractor;
    }

    List<Entity> people() {
        return people;
    }

    String distractor(SplittableRandom rng) {
        return distractor.apply(rng);
    }

    // ---------------------------------------------------------------- reservation keys (order-independent)

    /** Key of three people in three states, as in a story-ending item. */
    static String tripleKey(String[] who, int[] state) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < who.length; i++) {
            parts.add(who[i] + "|" + state[i]);
        }
        parts.sort(null);
        return "triple|" + String.join("|", parts);
    }

    // ---------------------------------------------------------------- phrases shared by scenes and tasks

    static String was(String person, int state) {
        return person + " was " + STATES[state][0];
    }

    static String acted(String person, int state) {
        return person + " " + STATES[state][1];
    }

    /** "anna , tom and ben" style list of clauses. */
    static String listing(List<String> clauses) {
        if (clauses.size() == 1) {
            return clauses.get(0);
        }
        return String.join(" , ", clauses.subList(0, clauses.size() - 1)) + " and " + clauses.get(clauses.size() - 1);
    }

    static String inRoom(String who, int room) {
        return who + " was in the " + ROOMS[room] + " room";
    }

    static String had(String person, int n, int thing) {
        return person + " had " + NUMBERS[n] + " " + COUNTED[thing];
    }

    // ---------------------------------------------------------------- documents

    /** One scene document, as space-separated tokens. */
    String document(SplittableRandom rng) {
        int r = rng.nextInt(100);
        List<String> s = r < 40 ? binding(rng, false) : r < 55 ? binding(rng, true) : r < 80 ? rooms(rng) : counts(rng);
        return String.join(" ", s);
    }

    /** k distinct indices below n. */
    static int[] distinct(SplittableRandom rng, int k, int n) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        TinyWorld.shuffle(all, rng);
        return all.subList(0, k).stream().mapToInt(Integer::intValue).toArray();
    }

    private List<String> binding(SplittableRandom rng, boolean longRange) {
        int k;
        int[] who;
        int[] state;
        while (true) {
            k = rng.nextInt(4) == 0 ? 3 : 2;
            who = distinct(rng, k, people.size());
            state = distinct(rng, k, STATES.length);
            if (!reservedTriple(who, state)) {
                break;
            }
        }
        List<String> facts = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            facts.add(was(people.get(who[i]).name(), state[i]));
        }
        int[] order = distinct(rng, k, k);
        int told = rng.nextInt(4) == 0 ? 1 : k; // mostly everyone acts: one lookup per person
        int first = 0;
        List<String> out = new ArrayList<>();
        if (longRange) {
            for (String f : facts) {
                out.add(f + " .");
                for (int d = rng.nextInt(3); d > 0; d--) {
                    out.add(distractor(rng));
                }
            }
        } else if (rng.nextInt(3) == 0) {
            // the sentence form of the tasks: "<facts> , so <X> <action> ."
            out.add(listing(facts) + " , so " + acted(people.get(who[order[0]]).name(), state[order[0]]) + " .");
            first = 1;
        } else if (rng.nextBoolean()) {
            out.add(listing(facts) + " .");
        } else {
            facts.forEach(f -> out.add(f + " ."));
        }
        for (int j = first; j < told; j++) {
            int i = order[j];
            String name = people.get(who[i]).name();
            switch (rng.nextInt(5)) {
                case 0 -> out.add("so " + acted(name, state[i]) + " .");
                case 1 -> out.add("later , " + acted(name, state[i]) + " .");
                case 2 -> out.add(acted(name, state[i]) + " because " + was(name, state[i]) + " .");
                case 3 -> out.add("then " + acted(name, state[i]) + " .");
                default -> out.add(acted(name, state[i]) + " .");
            }
        }
        if (out.size() < 2) {
            out.add(0, distractor(rng));
        }
        return out;
    }

    private boolean reservedTriple(int[] who, int[] state) {
        return who.length == 3 && reserved.contains(tripleKey(new String[]{people.get(who[0]).name(),
                people.get(who[1]).name(), people.get(who[2]).name()}, state));
    }

    private List<String> rooms(SplittableRandom rng) {
        Entity obj;
        int objRoom;
        int[] who;
        int[] room;
        obj = objects.get(rng.nextInt(objects.size()));
        objRoom = rng.nextInt(ROOMS.length);
        who = distinct(rng, 2, people.size());
        int other = (objRoom + 1 + rng.nextInt(ROOMS.length - 1)) % ROOMS.length;
        room = rng.nextBoolean() ? new int[]{objRoom, other} : new int[]{other, objRoom};
        String objFact = inRoom(obj.name(), objRoom) + " .";
        String p = people.get(who[0]).name();
        String q = people.get(who[1]).name();
        List<String> out = new ArrayList<>();
        List<String> where = List.of(inRoom(p, room[0]), inRoom(q, room[1]));
        if (rng.nextBoolean()) {
            out.add(objFact);
            out.add(listing(where) + " .");
        } else {
            out.add(listing(where) + " .");
            out.add(objFact);
        }
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String w = i == 0 ? p : q;
            boolean finds = room[i] == objRoom;
            outcomes.add((rng.nextInt(3) == 0 ? "so " : "") + w + (finds ? " found " : " could not find ") + obj.name()
                    + " .");
        }
        TinyWorld.shuffle(outcomes, rng);
        out.addAll(outcomes.subList(0, 1 + rng.nextInt(2)));
        return out;
    }

    private List<String> counts(SplittableRandom rng) {
        int thing;
        int[] who;
        int[] n;
        thing = rng.nextInt(COUNTED.length);
        who = distinct(rng, 2, people.size());
        n = distinct(rng, 2, NUMBERS.length);
        String p = people.get(who[0]).name();
        String q = people.get(who[1]).name();
        String more = n[0] > n[1] ? p : q;
        String fewer = n[0] > n[1] ? q : p;
        List<String> out = new ArrayList<>();
        out.add(had(p, n[0], thing) + " and " + had(q, n[1], thing) + " .");
        List<String> outcomes = new ArrayList<>(List.of(
                (rng.nextBoolean() ? "so " : "") + more + " had more " + COUNTED[thing] + " .",
                (rng.nextBoolean() ? "so " : "") + fewer + " had fewer " + COUNTED[thing] + " .",
                more + " had more " + COUNTED[thing] + " than " + fewer + " .",
                NUMBERS[Math.max(n[0], n[1])] + " is more than " + NUMBERS[Math.min(n[0], n[1])] + " ."));
        TinyWorld.shuffle(outcomes, rng);
        out.addAll(outcomes.subList(0, 1 + rng.nextInt(2)));
        return out;
    }
}
