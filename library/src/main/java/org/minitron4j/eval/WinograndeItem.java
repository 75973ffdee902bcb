package org.minitron4j.eval;

import org.minitron4j.InvalidInputException;

/**
 * One Winogrande problem in partial-scoring form: two contexts (the sentence up to the blank, filled with each option),
 * the shared continuation, and the gold option index (0 or 1; -1 when unlabeled).
 *
 * @param line 1-based line of the JSONL file it came from (0 if built in code)
 */
public record WinograndeItem(String qID, String context1, String context2, String continuation, int gold, int line) {

    /**
     * Builds an item from the original schema as the harness does: with idx = sentence.index("_"), context_i =
     * sentence[:idx] + option_i and continuation = " " + sentence[idx+1:].strip().
     *
     * @param answer "1", "2", or "" for an unlabeled item
     * @throws InvalidInputException if the sentence does not hold exactly one '_' or the answer is not "1"/"2"/""
     */
    public static WinograndeItem fromSentence(String qID, String sentence, String option1, String option2,
            String answer, int line) {
        int idx = sentence.indexOf('_');
        if (idx < 0 || sentence.indexOf('_', idx + 1) >= 0) {
            throw new InvalidInputException("Winogrande item " + qID + " (line " + line
                    + "): the sentence must hold exactly one '_', found "
                    + sentence.chars().filter(c -> c == '_').count() + ": " + sentence);
        }
        int gold = switch (answer) {
            case "1" -> 0;
            case "2" -> 1;
            case "" -> -1;
            default -> throw new InvalidInputException("Winogrande item " + qID + " (line " + line
                    + "): answer must be \"1\" or \"2\" (or \"\" if unlabeled), got \"" + answer + "\"");
        };
        String prefix = sentence.substring(0, idx);
        return new WinograndeItem(qID, prefix + option1, prefix + option2, partialTarget(sentence, idx), gold, line);
    }

    /** The harness's partial target: " " + the text after the blank, Python-stripped. */
    static String partialTarget(String sentence, int blank) {
        return " " + HarnessText.strip(sentence.substring(blank + 1));
    }

    /** The context for option 0 or 1. */
    public String context(int option) {
        return option == 0 ? context1 : context2;
    }

    /** Whether the item has a gold answer. */
    public boolean labeled() {
        return gold >= 0;
    }

    /** The item rendered as a few-shot example: the gold context followed by the continuation. */
    public String asExample() {
        if (!labeled()) {
            throw new InvalidInputException("Winogrande item " + qID + " (line " + line
                    + ") has no answer and cannot be a few-shot example");
        }
        return context(gold) + continuation;
    }

    boolean sameProblem(WinograndeItem o) {
        return qID.equals(o.qID) && context1.equals(o.context1) && context2.equals(o.context2)
                && continuation.equals(o.continuation);
    }
}
