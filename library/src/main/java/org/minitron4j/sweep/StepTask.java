package org.minitron4j.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * One step of one or more arms, as an executor receives it: run {@code args} (command first) and record the run in
 * {@code runDir}. Serializable: Spark ships it to an executor.
 *
 * @param key     the step's identity (a digest of its command line)
 * @param step    the step's name in the sweep, e.g. "distill"
 * @param runDir  the run folder: {@code record.json}, the step's {@code out/} and its tables (absolute)
 * @param args    the command line, command first, outputs inside {@code runDir}
 * @param threads PyTorch intra-op threads for the step (0: leave the process's)
 */
public record StepTask(String key, String step, String runDir, List<String> args, int threads) implements Serializable {
    public StepTask {
        args = List.copyOf(args);
    }
}
