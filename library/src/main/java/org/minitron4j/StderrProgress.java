package org.minitron4j;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@link Progress} as a me.tongfei progress bar on stderr; a new bar starts whenever the task name changes. A task that
 * comes back before it is done (a streamed pass interleaves "streaming" with its listener's "calibration") keeps its
 * elapsed time, so its estimate of the time left stays right.
 */
final class StderrProgress implements Progress {
    private ProgressBar bar;
    private String task;
    // unfinished task → {System.nanoTime() of its first update, its last `done`}
    private final Map<String, long[]> started = new HashMap<>();

    @Override
    public synchronized void update(String task, long done, long total, String detail) {
        long now = System.nanoTime();
        long[] seen = started.get(task);
        if (seen == null || done < seen[1]) { // new, or started over (e.g. rerun after a failure)
            seen = new long[] {now, done};
            started.put(task, seen);
        }
        if (bar == null || !task.equals(this.task)) {
            close();
            this.task = task;
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                    .startsFrom(0, Duration.ofNanos(now - seen[0])).setUpdateIntervalMillis(250).build();
        }
        seen[1] = done;
        bar.maxHint(total);
        bar.stepTo(done);
        bar.setExtraMessage(detail);
        if (done >= total) {
            started.remove(task);
            close();
        }
    }

    private void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
