package org.minitron4j.tinyworld;

import java.util.List;

/**
 * An ordered attribute of an entity with four levels (1 = very low .. 4 = very high); levels 1-2 have the low
 * polarity ("small"), levels 3-4 the high polarity ("big").
 */
public enum Attribute {
    SIZE("size", "big", "small", "bigger", "smaller",
            List.of(List.of("very small", "tiny"), List.of("small", "quite small"),
                    List.of("big", "quite big"), List.of("very big", "huge"))),
    WEIGHT("weight", "heavy", "light", "heavier", "lighter",
            List.of(List.of("very light"), List.of("light", "quite light"),
                    List.of("heavy", "quite heavy"), List.of("very heavy"))),
    SPEED("speed", "fast", "slow", "faster", "slower",
            List.of(List.of("very slow"), List.of("slow", "quite slow"),
                    List.of("fast", "quite fast"), List.of("very fast"))),
    STRENGTH("strength", "strong", "weak", "stronger", "weaker",
            List.of(List.of("very weak"), List.of("weak", "quite weak"),
                    List.of("strong", "quite strong"), List.of("very strong")));

    /** The attribute's noun ("size"). */
    public final String noun;
    /** Adjective of the high polarity ("big"). */
    public final String high;
    /** Adjective of the low polarity ("small"). */
    public final String low;
    /** Comparative of the high polarity ("bigger"). */
    public final String highComparative;
    /** Comparative of the low polarity ("smaller"). */
    public final String lowComparative;
    private final List<List<String>> levelPhrases;

    Attribute(String noun, String high, String low, String highComparative, String lowComparative,
              List<List<String>> levelPhrases) {
        this.noun = noun;
        this.high = high;
        this.low = low;
        this.highComparative = highComparative;
        this.lowComparative = lowComparative;
        this.levelPhrases = levelPhrases;
    }

    /** Phrases that describe the given level (1..4), e.g. "very big" and "huge" for SIZE level 4. */
    public List<String> phrases(int level) {
        return levelPhrases.get(level - 1);
    }

    /** The level a phrase describes, or 0 if the phrase is not one of this attribute's level phrases. */
    public int levelOf(String phrase) {
        for (int i = 0; i < 4; i++) {
            if (levelPhrases.get(i).contains(phrase)) {
                return i + 1;
            }
        }
        return 0;
    }

    /** The polarity adjective of a level: {@link #high} for levels 3-4, {@link #low} for 1-2. */
    public String adjective(int level) {
        return level >= 3 ? high : low;
    }
}
