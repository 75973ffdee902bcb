package org.minitron4j.eval;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;

/**
 * Options of a Winogrande run.
 *
 * @param limit score only the first {@code limit} items; 0 or less for all
 * @param shots number of few-shot examples in front of each item
 * @param fewshot the pool the examples are drawn from (needed when shots &gt; 0)
 * @param seed seed of the {@link java.util.Random} that draws the examples
 */
@RecordBuilder
public record WinograndeOptions(int limit, int shots, List<WinograndeItem> fewshot, long seed)
        implements WinograndeOptionsBuilder.With {
    public WinograndeOptions {
        fewshot = fewshot == null ? List.of() : List.copyOf(fewshot);
    }

    /** All items, zero-shot, seed 1234. */
    public static WinograndeOptions defaults() {
        return new WinograndeOptions(0, 0, List.of(), 1234);
    }

    /** A copy with {@code shots} examples drawn from {@code fewshot} with {@code seed}. */
    public WinograndeOptions withFewshot(int shots, List<WinograndeItem> fewshot, long seed) {
        return with(b -> b.shots(shots).fewshot(fewshot).seed(seed));
    }
}
