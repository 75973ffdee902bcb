package org.minitron4j.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.experiment.Leaderboard;
import org.minitron4j.experiment.RunRecord;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.plot.Html;
import org.minitron4j.train.TrainingLog;
import tech.tablesaw.api.Table;

/**
 * A sweep's results: one {@link Leaderboard} row per arm (model column = the arm's name, role = "ok" or "failed"),
 * with a text column per varied option, the numeric fields of every step's {@code --json} results as metrics named
 * {@code step.field} (e.g. {@code eval.loss}, {@code distill.validation_loss}), the arm's {@code seconds} (its steps'
 * run times), where its steps ran, each step's run folder (replay it with {@code ./minitron4j replay}) and the error of a
 * failed arm. It renders, plots ({@code Figures.leaderboard(result.table(), …)}) and is written as {@code results.csv},
 * {@code results.html} and {@code results.json}.
 */
public final class SweepResult implements HtmlRenderable {
    /** Text columns besides the varied options. */
    public static final String RAN_ON = "ran_on", ERROR = "error";
    private final String name;
    private final Leaderboard board;
    private final String executor;
    private final double seconds;
    private final int ran, reused, failed;
    private final List<Sweep.PlannedArm> plan; // every arm's steps, with their run folders

    private SweepResult(String name, Leaderboard board, String executor, double seconds, int ran, int reused, int failed,
                        List<Sweep.PlannedArm> plan) {
        this.plan = plan;
        this.name = name;
        this.board = board;
        this.executor = executor;
        this.seconds = seconds;
        this.ran = ran;
        this.reused = reused;
        this.failed = failed;
    }

    static SweepResult of(Sweep sweep, List<Sweep.PlannedArm> plan, Map<String, StepOutcome> outcomes, String executor,
                          double seconds) {
        Map<String, JsonNode> results = new HashMap<>(); // each step's --json results, read once for all its arms
        outcomes.forEach((key, o) -> {
            if (o.results() != null) {
                results.put(key, read(o.results()));
            }
        });
        Leaderboard board = new Leaderboard("sweep " + sweep.name() + " (" + plan.size() + " arms)");
        List<String> varied = sweep.variedKeys();
        for (Sweep.PlannedArm a : plan) {
            StepTask broken = a.failedBefore(a.tasks().size(), outcomes);
            Leaderboard.Row row = board.add(a.arm().name(), broken == null ? "ok" : "failed", parameters(a, results));
            for (String k : varied) {
                String v = a.arm().overrides().get(k);
                row.note(k, v == null ? "(default)" : v);
            }
            double armSeconds = 0;
            Set<String> places = new LinkedHashSet<>();
            for (StepTask t : a.tasks()) {
                StepOutcome o = outcomes.get(t.key());
                row.note(t.step() + ".run", Path.of(Sweep.STEPS).resolve(Path.of(t.runDir()).getFileName()).toString());
                if (o == null || !o.ok()) {
                    continue;
                }
                armSeconds += o.seconds();
                if (!o.ranOn().isEmpty()) {
                    places.add(o.ranOn());
                }
                metrics(row, t.step(), results.get(t.key()));
            }
            row.metric("seconds", armSeconds);
            row.note(RAN_ON, String.join("; ", places));
            if (broken != null) {
                StepOutcome o = outcomes.get(broken.key());
                row.note(ERROR, o == null ? broken.step() + " not run" : broken.step() + ": " + o.error());
            }
        }
        int ran = 0, reused = 0, failed = 0;
        for (StepOutcome o : outcomes.values()) {
            switch (o.status()) {
                case RAN -> ran++;
                case REUSED -> reused++;
                case FAILED -> failed++;
            }
        }
        return new SweepResult(sweep.name(), board, executor, seconds, ran, reused, failed, plan);
    }

    /** The arm's parameter count: the last {@code parameters_after} among its steps' results (prune reports it). */
    private static @Nullable Long parameters(Sweep.PlannedArm a, Map<String, JsonNode> results) {
        Long p = null;
        for (StepTask t : a.tasks()) {
            JsonNode n = results.containsKey(t.key()) ? results.get(t.key()).get("parameters_after") : null;
            if (n != null && n.canConvertToLong()) {
                p = n.longValue();
            }
        }
        return p;
    }

    private static JsonNode read(String json) {
        try {
            return JsonMappers.shared().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The top-level numeric fields of a step's results (times and paths left out), as {@code step.field}. */
    private static void metrics(Leaderboard.Row row, String step, @Nullable JsonNode node) {
        if (node == null) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber() && !RunRecord.isVolatile(e.getKey())) {
                row.metric(step + "." + e.getKey(), e.getValue().doubleValue());
            }
        }
    }

    /**
     * The run folder of {@code step} in {@code arm} ({@code record.json}; replay it with {@code Runs.replay}).
     *
     * @throws InvalidInputException for an unknown arm or step
     */
    public Path run(String arm, String step) {
        Sweep.PlannedArm a = plan.stream().filter(x -> x.arm().name().equals(arm)).findFirst().orElseThrow(() ->
                new InvalidInputException("sweep " + name + " has no arm '" + arm + "' (arms: " + String.join(", ",
                        plan.stream().map(x -> x.arm().name()).toList()) + ")"));
        return a.tasks().stream().filter(t -> t.step().equals(step)).findFirst().map(t -> Path.of(t.runDir()))
                .orElseThrow(() -> new InvalidInputException("sweep " + name + " has no step '" + step + "' (steps: "
                        + String.join(", ", a.tasks().stream().map(StepTask::step).toList()) + ")"));
    }

    /**
     * What {@code step} wrote for {@code arm} (its {@code --out}: e.g. the distilled student, to load with {@code
     * Checkpoints.load}).
     *
     * @throws InvalidInputException for an unknown arm or step, or one that failed or wrote nothing
     */
    public Path output(String arm, String step) {
        Path out = run(arm, step).resolve("out");
        if (!Files.isRegularFile(run(arm, step).resolve(RunRecord.FILE)) || !Files.isDirectory(out)) {
            throw new InvalidInputException("arm '" + arm + "', step '" + step + "' has no output (" + out + "): it failed, was not run or writes none");
        }
        return out;
    }

    /** The training log {@code step} (a {@code distill} step) of {@code arm} wrote. */
    public TrainingLog trainingLog(String arm, String step) {
        return TrainingLog.read(output(arm, step).resolve("training_log.csv"));
    }

    /** One row per arm. */
    public Leaderboard leaderboard() {
        return board;
    }

    /** The leaderboard as a table (arm, status, options, metrics, seconds, where, run folders, errors). */
    public Table table() {
        return board.table();
    }

    public int arms() {
        return board.size();
    }

    /** Arms that did not finish (a step failed or was not run). */
    public int failedArms() {
        return (int) board.rows().stream().filter(r -> "failed".equals(r.role())).count();
    }

    /** Steps run in this sweep run. */
    public int stepsRun() {
        return ran;
    }

    /** Steps whose records were found and reused. */
    public int stepsReused() {
        return reused;
    }

    /** Steps that failed. */
    public int stepsFailed() {
        return failed;
    }

    public String executor() {
        return executor;
    }

    public double seconds() {
        return seconds;
    }

    /** A summary with every row: what {@code sweep --json} prints. */
    public ObjectNode toJsonNode() {
        ObjectNode o = JsonMappers.shared().createObjectNode().put("name", name).put("executor", executor)
                .put("arms", arms()).put("arms_failed", failedArms());
        o.putObject("steps").put("ran", ran).put("reused", reused).put("failed", failed);
        o.put("seconds", Math.round(seconds * 1000) / 1000.0);
        o.set("rows", board.toJsonNode());
        return o;
    }

    /** Writes results.csv, results.html and results.json into {@code dir}. */
    void write(Path dir) {
        board.writeCsv(dir.resolve("results.csv"));
        Html.writePage(dir.resolve("results.html"), "sweep " + name, toHtml());
        try {
            JsonMappers.indented().writeValue(dir.resolve("results.json").toFile(), toJsonNode());
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir.resolve("results.json") + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toHtml() {
        return "<p>" + Fragments.escape(summary()) + "</p>" + board.toHtml();
    }

    private String summary() {
        return String.format(Locale.ROOT, "sweep %s: %d arms (%d failed) on %s in %.1f s; steps run %d, reused %d, failed %d",
                name, arms(), failedArms(), executor, seconds, ran, reused, failed);
    }

    @Override
    public String toString() {
        return summary() + "\n" + board;
    }
}
