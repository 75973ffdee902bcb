package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.experiment.ReplayReport;
import org.minitron4j.experiment.RunRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code replay DIR}: reruns a recorded run and compares results, inputs and outputs bit for bit; exit 3 when they differ. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rerun a run recorded with --record DIR and compare its numbers bit for bit (exit 3 when they differ).")
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A run folder written by --record.")
    Path run;

    @Option(names = "--keep", description = "Keep the replay's outputs in this folder (default: a scratch folder, deleted afterwards).")
    Path keep;

    @Option(names = "--tolerance", defaultValue = "0", description = "Relative tolerance for numeric results (default: ${DEFAULT-VALUE}, the same bits); with a tolerance, output files are listed but not compared.")
    double tolerance;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() {
        if (!(tolerance >= 0)) {
            throw new InvalidInputException("--tolerance must be >= 0, got " + tolerance);
        }
        if (!Files.isRegularFile(run.resolve(RunRecord.FILE))) {
            throw new InvalidInputException(run + ": no " + RunRecord.FILE + " (not a run folder; record one with --record DIR)");
        }
        RunRecord recorded = RunRecord.load(run);
        // Same PyTorch thread counts as the recorded run unless the user chose (reduction order can change the last bits).
        if (Main.threadsDefaulted && !recorded.environment().threads().isBlank()) {
            System.setProperty("ai.djl.pytorch.num_threads", recorded.environment().threads());
        }
        System.err.println("replay: " + recorded.command() + " " + String.join(" ", recorded.args()));
        ReplayReport report = RunRecorder.replay(run, keep, tolerance);
        if (json) {
            ObjectNode o = Json.object();
            o.put("matches", report.matches());
            o.put("identical", report.identical());
            o.put("max_relative_difference", report.maxRelativeDifference());
            o.put("summary", report.summary());
            ArrayNode env = o.putArray("environment_differences");
            report.environment().forEach(env::add);
            ArrayNode checks = o.putArray("checks");
            for (ReplayReport.Check c : report.checks()) {
                checks.addObject().put("kind", c.kind()).put("name", c.name()).put("recorded", c.recorded())
                        .put("replayed", c.replayed()).put("tolerance", c.tolerance()).put("match", c.match());
            }
            Json.print(o);
        } else {
            System.out.println(report.table().printAll());
            System.out.println(report.summary());
        }
        return report.matches() ? 0 : Main.EXIT_REPLAY_DIFFERS;
    }
}
