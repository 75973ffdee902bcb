package org.minitron4j;

import java.util.function.Consumer;

/**
 * Receives progress of long work (calibration, evaluation, training) as (task, done, total) updates. The CLI shows a
 * progress bar on stderr, notebooks a live line in the cell; library code only calls {@link #update}. Calls that take
 * no progress argument report to {@link #current()}: nothing, unless a default was installed with
 * {@link #setDefault} (the notebook integration installs its live line when a notebook loads the library).
 */
@FunctionalInterface
public interface Progress {
    /** {@code done} of {@code total} units of {@code task} are finished; {@code detail} may be empty. */
    void update(String task, long done, long total, String detail);

    /** Ignores every update. */
    Progress NONE = (task, done, total, detail) -> { };

    /** The default display of calls given no {@code Progress}: {@link #NONE} until {@link #setDefault} installs one. */
    static Progress current() {
        return DefaultProgress.current;
    }

    /** Installs the display that calls given no {@code Progress} report to (process-wide; {@link #NONE} turns it off). */
    static void setDefault(Progress progress) {
        DefaultProgress.current = java.util.Objects.requireNonNull(progress, "progress");
    }

    /** A text progress bar on stderr (one bar per task, closed when done reaches total). */
    static Progress stderr() {
        return new StderrProgress();
    }

    /** Sends a one-line summary per update to {@code sink}, e.g. for a notebook cell. */
    static Progress lines(Consumer<String> sink) {
        return (task, done, total, detail) -> sink.accept(task + ": " + done + "/" + total + (detail.isEmpty() ? "" : "  " + detail));
    }
}
