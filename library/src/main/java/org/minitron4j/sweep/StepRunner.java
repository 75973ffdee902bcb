package org.minitron4j.sweep;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.cli.RunRecorder;
import org.minitron4j.experiment.RunRecord;

/**
 * Runs one {@link StepTask} in this JVM, on the calling thread, whichever executor called it: a step whose record
 * exists is reused, a folder left half-written by a killed run is cleared first, and a failure becomes a {@link
 * StepOutcome} (it never stops the sweep).
 */
final class StepRunner {
    /** Beside {@code record.json}: where the step ran, so that a reused step reports it too. */
    static final String PLACEMENT = "sweep-step.json";

    private StepRunner() {
    }

    /** Runs {@code task}; {@code where} names the executor slot (e.g. "worker 2", "spark executor 1"). */
    static StepOutcome run(StepTask task, String where) {
        Path dir = Path.of(task.runDir());
        if (Files.isRegularFile(dir.resolve(RunRecord.FILE))) {
            RunRecord r = RunRecord.load(dir);
            return new StepOutcome(task.key(), StepOutcome.Status.REUSED, r.results().toString(), r.seconds(),
                    placement(dir), null);
        }
        String ranOn = OutputFolder.host() + ", " + where;
        int before = 0;
        try {
            if (Files.exists(dir)) { // a killed run's leftovers: cleared unless a live process still writes them
                try (OutputFolder clear = OutputFolder.claim(dir, OutputFolder.Mode.OVERWRITE)) {
                    // claimed and emptied
                }
            }
            if (task.threads() > 0) {
                Engine.getEngine("PyTorch"); // loads libtorch before its thread count is set
                before = JniUtils.getNumThreads();
                JniUtils.setNumThreads(task.threads()); // this thread's operations (OpenMP and MKL settings are per thread)
            }
            RunRecord r = RunRecorder.record(dir, task.args(), false);
            ObjectNode p = JsonMappers.shared().createObjectNode().put("ran_on", ranOn).put("threads", task.threads());
            JsonMappers.indented().writeValue(dir.resolve(PLACEMENT).toFile(), p);
            return new StepOutcome(task.key(), StepOutcome.Status.RAN, r.results().toString(), r.seconds(), ranOn, null);
        } catch (InvalidInputException | RunRecorder.CommandFailed e) {
            return failed(task, ranOn, e.getMessage());
        } catch (IOException e) {
            return failed(task, ranOn, "writing " + dir.resolve(PLACEMENT) + ": " + e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            return failed(task, ranOn, e.toString());
        } finally {
            if (before > 0) {
                JniUtils.setNumThreads(before);
            }
        }
    }

    private static StepOutcome failed(StepTask task, String ranOn, String message) {
        return new StepOutcome(task.key(), StepOutcome.Status.FAILED, null, 0, ranOn, message);
    }

    private static String placement(Path dir) {
        try {
            return JsonMappers.shared().readTree(dir.resolve(PLACEMENT).toFile()).path("ran_on").asText("");
        } catch (IOException | UncheckedIOException e) {
            return ""; // recorded by hand (./minitron4j … --record) into the sweep's folder: place unknown
        }
    }
}
