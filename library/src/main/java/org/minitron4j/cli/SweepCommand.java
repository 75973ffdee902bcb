package org.minitron4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import org.minitron4j.Progress;
import org.minitron4j.sweep.Sweep;
import org.minitron4j.sweep.SweepExecutor;
import org.minitron4j.sweep.SweepResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sweep}: runs every arm of a sweep spec (JSON, see {@link Sweep}) and writes the results table. Run again
 * with the same {@code --out}, it reuses every step whose record exists and runs only what is missing.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Run an ablation sweep (steps × grid of options) sequentially, locally in parallel or on Spark.",
        footer = {"", "The spec: {\"name\": …, \"steps\": [{\"command\": \"distill\", \"options\": {\"teacher\": …}}, …],",
            "\"grid\": {\"distill.logit-loss\": [\"kld\", \"rkld\"]}, \"arms\": [{\"name\": …, \"set\": {…}}], \"threads\": N};",
            "\"@step\" as a value is that step's output folder. Each step is recorded under DIR/steps/ (replay any of them)."})
final class SweepCommand implements Runnable {
    @Option(names = "--spec", required = true, description = "The sweep spec (JSON).")
    Path spec;

    @Option(names = "--out", required = true, description = "Output folder: run records of every step, results.csv/html/json.")
    Path out;

    @Option(names = "--executor", defaultValue = "sequential", description = "sequential, local or spark (default: ${DEFAULT-VALUE}).")
    String executor;

    @Option(names = "--parallel", defaultValue = "0", description = "Steps at once with --executor local (default: one per core).")
    int parallel;

    @Option(names = "--master", description = "Spark master with --executor spark: local[N], spark://HOST:PORT, yarn, k8s://… (default: local[N], N = cores).")
    String master;

    @Option(names = "--threads", defaultValue = "-1", description = "PyTorch threads per step (default: the spec's, else the executor's share of the cores).")
    int threads;

    @Option(names = "--overwrite", description = "Delete what --out holds first (default: reuse the steps already recorded there).")
    boolean overwrite;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        Sweep sweep = Sweep.load(spec);
        if (threads >= 0) {
            sweep = sweep.withThreads(threads);
        }
        String kind = executor.toLowerCase(Locale.ROOT);
        if (master != null && !kind.equals("spark")) {
            throw new InvalidInputException("--master is for --executor spark, not " + executor);
        }
        if (parallel != 0 && !kind.equals("local")) {
            throw new InvalidInputException("--parallel is for --executor local, not " + executor);
        }
        if (parallel < 0) {
            throw new InvalidInputException("--parallel must be at least 1, got " + parallel);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        try (SweepExecutor ex = SweepExecutor.named(kind, parallel == 0 ? cores : parallel,
                master == null ? "local[" + cores + "]" : master)) {
            SweepResult r = sweep.run(out, ex, overwrite ? OutputFolder.Mode.OVERWRITE : OutputFolder.Mode.RESUME,
                    Progress.stderr());
            if (json) {
                Json.print(r.toJsonNode());
            } else {
                System.out.println(r.table().printAll());
                System.out.printf(Locale.ROOT, "%d arms (%d failed); steps run %d, reused %d, failed %d → %s%n", r.arms(),
                        r.failedArms(), r.stepsRun(), r.stepsReused(), r.stepsFailed(), out.resolve("results.csv"));
            }
        }
    }
}
