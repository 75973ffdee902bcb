package org.minitron4j;

/** Holds {@link Progress#current()}: interfaces cannot have mutable fields. */
final class DefaultProgress {
    static volatile Progress current = Progress.NONE;

    private DefaultProgress() {
    }
}
