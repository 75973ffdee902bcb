package org.minitron4j;

import java.util.function.Consumer;

/**
 * Receives progress of long work (calibration, evaluation, training) as (task, done, total) updates. The CLI shows a
 * progress bar on stderr, notebooks a live line in the cell; library code only calls {@link #update}.
 */
@FunctionalInterface
public interface Progress {
    /** {@code done} of {@code total} units of {@code task} are finished; {@code detail} may be empty. */
    void update(String task, long done, long total, String detail);

    /** Ignores every update. */
    Progress NONE = (task, done, total, detail) -> { };

    /** A text progress bar on stderr (one bar per task, closed when done reaches total). */
    static Progress stderr() {
        return new StderrProgress();
    }

    /** Sends a one-line summary per update to {@code sink}, e.g. for a notebook cell. */
    static Progress lines(Consumer<String> sink) {
        return (task, done, total, detail) -> sink.accept(task + ": " + done + "/" + total + (detail.isEmpty() ? "" : "  " + detail));
    }
}
