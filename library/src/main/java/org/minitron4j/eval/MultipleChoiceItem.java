package org.minitron4j.eval;

import java.util.List;

/**
 * One multiple-choice problem (HellaSwag/ARC/PIQA style): a context, its choices, and the gold choice index.
 *
 * @param line 1-based line of the JSONL file it came from (0 if built in code)
 */
public record MultipleChoiceItem(String id, String context, List<String> choices, int gold, int line) {
    public MultipleChoiceItem {
        choices = List.copyOf(choices);
    }
}
