package org.minitron4j.sweep;

import java.io.Serializable;
import org.jspecify.annotations.Nullable;

/**
 * What became of one {@link StepTask}. Serializable: Spark sends it back to the driver.
 *
 * @param key     the task's key
 * @param status  whether it ran now, was found recorded (a sweep run again), or failed
 * @param results the command's {@code --json} object as text (null when it failed)
 * @param seconds the run's wall time (the recorded one for a reused step)
 * @param ranOn   where it ran: host and executor
 * @param error   the command's error line (null unless it failed)
 */
public record StepOutcome(String key, Status status, @Nullable String results, double seconds, String ranOn,
                          @Nullable String error) implements Serializable {
    /** How a step ended. */
    public enum Status {
        /** Ran in this sweep run. */
        RAN,
        /** Its record existed: not run again. */
        REUSED,
        /** Failed; its arms report the error. */
        FAILED
    }

    public boolean ok() {
        return status != Status.FAILED;
    }
}
