package org.minitron4j.notebook;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;
import org.minitron4j.Progress;

/**
 * {@link Progress} as one live line per task in a notebook cell, rewritten in place with carriage returns on stdout
 * (the Kotlin kernel streams a cell's stdout while it runs; Jupyter front ends and the saved notebook keep only the
 * text after the last carriage return), at most every {@code minIntervalMs} and always at the end of a task.
 *
 * <p>Display updates were tried first: in kernel 0.11.0-398 a {@code KotlinKernelHost} kept from
 * {@code beforeCellExecution} accepts {@code display(value, id)} but nothing reaches the cell, and the cell's own
 * {@code UPDATE_DISPLAY} is not applied by nbconvert (the first display stays), so stdout is the one that works.
 */
final class NotebookProgress implements Progress {
    private final Supplier<PrintStream> out; // System.out of the running cell: the kernel swaps it per cell
    private final long minIntervalMs;
    private String task;
    private long taskStart;
    private long lastShown;

    NotebookProgress(Supplier<PrintStream> out, long minIntervalMs) {
        this.out = out;
        this.minIntervalMs = minIntervalMs;
    }

    @Override
    public synchronized void update(String task, long done, long total, String detail) {
        PrintStream out = this.out.get();
        long now = System.nanoTime();
        if (!task.equals(this.task)) {
            if (this.task != null) {
                out.println();
            }
            this.task = task;
            taskStart = now;
        } else if (done < total && (now - lastShown) / 1_000_000 < minIntervalMs) {
            return;
        }
        lastShown = now;
        out.print("\r" + line(task, done, total, detail, (now - taskStart) / 1e9));
        if (done >= total) {
            out.println();
            this.task = null;
        }
        out.flush();
    }

    /** "task [#####·····]  42/100  42%  3.1 s, ~4.3 s left  detail". */
    static String line(String task, long done, long total, String detail, double seconds) {
        int width = 24;
        double frac = total > 0 ? Math.min(1.0, Math.max(0.0, (double) done / total)) : 0;
        int filled = (int) Math.round(frac * width);
        StringBuilder sb = new StringBuilder(task).append(" [");
        sb.append("#".repeat(filled)).append("\u00b7".repeat(width - filled)).append("] ");
        sb.append(done).append('/').append(total);
        sb.append(String.format(Locale.ROOT, "  %3.0f%%  %.1f s", frac * 100, seconds));
        if (done > 0 && done < total) {
            sb.append(String.format(Locale.ROOT, ", ~%.0f s left", seconds / done * (total - done)));
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append("  ").append(detail);
        }
        return sb.toString();
    }
}
