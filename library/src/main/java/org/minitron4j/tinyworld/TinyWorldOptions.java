package org.minitron4j.tinyworld;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.minitron4j.InvalidInputException;

/**
 * Sizes and seed of a TinyWorld dataset: words per corpus split (documents are added until the count is reached) and
 * Winogrande items in the evaluation and few-shot sets (rounded down to even, since items come in twins; the easy set
 * has as many as the evaluation set) and multiple-choice story endings.
 */
@RecordBuilder
public record TinyWorldOptions(long seed, long trainWords, long validationWords, long calibrationWords, int devItems,
                               int fewshotItems, int storyItems) implements TinyWorldOptionsBuilder.With {

    public TinyWorldOptions {
        if (trainWords < 1 || validationWords < 1 || calibrationWords < 1) {
            throw new InvalidInputException("TinyWorld word counts must be positive: train=" + trainWords
                    + ", validation=" + validationWords + ", calibration=" + calibrationWords);
        }
        if (devItems < 2 || fewshotItems < 2 || storyItems < 1) {
            throw new InvalidInputException("TinyWorld needs at least 2 dev, 2 few-shot and 1 story-ending item: dev="
                    + devItems + ", fewshot=" + fewshotItems + ", stories=" + storyItems);
        }
    }

    /**
     * Seed 1234, 6M training words (~26 MB), 100k validation, 50k calibration, 1200 dev (and as many easy dev) and 500
     * few-shot Winogrande items, 400 story endings.
     */
    public static TinyWorldOptions defaults() {
        return new TinyWorldOptions(1234L, 6_000_000L, 100_000L, 50_000L, 1200, 500, 400);
    }

}
