package org.minitron4j.tinyworld;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One entity of the world (a person, an animal or an object) with all its fixed facts; {@code name} is how the corpus
 * mentions it ("anna", "the cat").
 *
 * @param name   surface form used in every sentence
 * @param kind   person, animal or object
 * @param levels attribute levels 1..4; only the attributes that apply to the kind are present
 * @param colour colour word, or null for people
 * @param home   place phrase with its preposition ("on the farm"), or null for objects
 * @param foods  liked foods (first is the favourite), empty for objects
 * @param habit  activity index into {@link TinyWorld#ACTIVITIES}, or -1 for objects
 * @param time   time-of-day phrase for the habit, or null for objects
 * @param owner  name of the owning person, or null
 */
public record Entity(String name, Kind kind, Map<Attribute, Integer> levels, @Nullable String colour,
                     @Nullable String home, List<String> foods, int habit, @Nullable String time,
                     @Nullable String owner) {

    /** Kind of entity; the category noun is used in sentences like "the cat is a small animal". */
    public enum Kind {
        PERSON("person"), ANIMAL("animal"), OBJECT("thing");

        /** Category noun. */
        public final String noun;

        Kind(String noun) {
            this.noun = noun;
        }
    }

    public Entity {
        levels = Collections.unmodifiableMap(new EnumMap<>(levels));
        foods = List.copyOf(foods);
    }

    /** Whether the attribute applies to this entity. */
    public boolean has(Attribute a) {
        return levels.containsKey(a);
    }

    /** Level 1..4 of an attribute; throws if it does not apply. */
    public int level(Attribute a) {
        Integer l = levels.get(a);
        if (l == null) {
            throw new IllegalArgumentException(name + " has no " + a.noun);
        }
        return l;
    }

    /** True when the attribute applies and has the high polarity (level 3-4). */
    public boolean isHigh(Attribute a) {
        return has(a) && level(a) >= 3;
    }

    /** True when the attribute applies and has the low polarity (level 1-2). */
    public boolean isLow(Attribute a) {
        return has(a) && level(a) <= 2;
    }

    /** Whether people and animals (which can act) or objects. */
    public boolean animate() {
        return kind != Kind.OBJECT;
    }
}
