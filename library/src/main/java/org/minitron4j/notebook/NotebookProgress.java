package org.minitron4j.notebook;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.kotlinx.jupyter.api.KotlinKernelHost;
import org.jetbrains.kotlinx.jupyter.api.ResultsKt;
import org.minitron4j.Progress;
import org.minitron4j.plot.Html;

/**
 * {@link Progress} as one live line per task in a notebook cell: the first update of a task displays the line with a
 * display id, later ones replace it ({@code update_display_data}), at most every {@code minIntervalMs} and always at
 * the end. Without a kernel host (plain JVM, or a kernel that refuses displays) it writes the line to stdout instead,
 * rewritten with carriage returns.
 */
final class NotebookProgress implements Progress {
    private static final AtomicLong IDS = new AtomicLong();

    private final KotlinKernelHost host;
    private final PrintStream fallback;
    private final long minIntervalMs;
    private String task;
    private String displayId;
    private long taskStart;
    private long lastShown;
    private boolean useFallback;

    NotebookProgress(KotlinKernelHost host, PrintStream fallback, long minIntervalMs) {
        this.host = host;
        this.fallback = fallback;
        this.minIntervalMs = minIntervalMs;
        this.useFallback = host == null;
    }

    @Override
    public synchronized void update(String task, long done, long total, String detail) {
        long now = System.nanoTime();
        boolean first = !task.equals(this.task);
        if (first) {
            if (this.task != null && useFallback) {
                fallback.println();
            }
            this.task = task;
            displayId = "m4j_progress_" + IDS.incrementAndGet();
            taskStart = now;
        } else if (done < total && (now - lastShown) / 1_000_000 < minIntervalMs) {
            return;
        }
        lastShown = now;
        String line = line(task, done, total, detail, (now - taskStart) / 1e9);
        if (!useFallback) {
            try {
                Object html = ResultsKt.HTML("<pre class=\"m4j-progress\" style=\"margin:0\">" + Html.escape(line)
                        + "</pre>", false);
                if (first) {
                    host.display(html, displayId);
                } else {
                    host.updateDisplay(html, displayId);
                }
                return;
            } catch (RuntimeException e) {
                useFallback = true; // e.g. a host from an earlier cell that no longer accepts displays
            }
        }
        fallback.print("\r" + line);
        if (done >= total) {
            fallback.println();
            this.task = null;
        }
        fallback.flush();
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
