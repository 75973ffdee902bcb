package org.minitron4j.cli;

import org.minitron4j.InvalidInputException;

/**
 * Checks of flag values before they reach the library, whose messages name its own parameters ({@code seqLen}): a
 * refusal here names the flag as the user typed it ({@code --seq-len}).
 */
final class Flags {
    private Flags() {
    }

    /** Refuses a value of {@code flag} below {@code min}. */
    static void atLeast(String flag, long value, long min) {
        if (value < min) {
            throw new InvalidInputException(flag + " must be at least " + min + ", got " + value);
        }
    }

    /** Refuses a sequence of {@code tokens} (what {@code flags} asked for) longer than the model's positions. */
    static void fitsContext(String flags, long tokens, int positions) {
        if (tokens > positions) {
            throw new InvalidInputException(flags + " exceeds the model's " + positions + " positions");
        }
    }
}
