package org.minitron4j;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** {@link Progress} as a me.tongfei progress bar on stderr; a new bar starts whenever the task name changes. */
final class StderrProgress implements Progress {
    private ProgressBar bar;
    private String task;

    @Override
    public synchronized void update(String task, long done, long total, String detail) {
        if (bar == null || !task.equals(this.task)) {
            close();
            this.task = task;
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                    .setUpdateIntervalMillis(250).build();
        }
        bar.maxHint(total);
        bar.stepTo(done);
        bar.setExtraMessage(detail);
        if (done >= total) {
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
