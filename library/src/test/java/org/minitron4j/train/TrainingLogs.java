package org.minitron4j.train;

import java.util.Map;

/** Builds training logs for tests outside this package (TrainingLog.add is package-private). */
public final class TrainingLogs {
    private TrainingLogs() {
    }

    /** A log with the given rows, step i + 1 for row i. */
    @SafeVarargs
    public static TrainingLog of(Map<String, Double>... rows) {
        TrainingLog log = new TrainingLog();
        for (int i = 0; i < rows.length; i++) {
            log.add(i + 1, rows[i]);
        }
        return log;
    }
}
