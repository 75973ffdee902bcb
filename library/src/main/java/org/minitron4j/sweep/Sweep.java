package org.minitron4j.sweep;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.Progress;
import org.minitron4j.cli.RunRecorder;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * An ablation sweep: a pipeline of command steps and the overrides that make its arms. Steps are the command-line
 * verbs ({@code importance}, {@code prune}, {@code distill}, {@code eval}, …) with their options by long name, so a
 * sweep reads like the commands a user would type, and each step of each arm is recorded as a run record:
 *
 * <pre>{@code
 * val sweep = Sweep.named("kd losses")
 *     .step("distill", mapOf("teacher" to teacherDir, "student" to studentDir, "data" to train, "tokens" to 61_440))
 *     .step("eval", mapOf("model" to "@distill", "task" to "lm-loss", "data" to validation))
 *     .grid("distill.logit-loss", listOf("kld", "rkld", "jsd", "tvd"))
 *     .grid("distill.seed", listOf(1, 2))
 * val result = sweep.run(out)                                   // one arm after another
 * val result = sweep.run(out, SweepExecutor.spark("local[2]"))  // or as Spark tasks
 * }</pre>
 *
 * <ul>
 *   <li>An option's value is its text on the command line (numbers and paths are converted; {@code true} / {@code
 *       false} give or omit a flag; null leaves the option out). {@code "@name"} is the output folder of the earlier
 *       step {@code name} in the same arm. Each step's {@code --out} is set by the sweep.</li>
 *   <li>Arms: every combination of the grid's values ({@code "step.option" → values}), for each explicit {@link
 *       #arm} (or once, when none is given).</li>
 *   <li>The same sweep as JSON ({@link #load}, {@link #toJson}): {@code {"name": …, "steps": [{"command": …, "name":
 *       …, "options": {…}}], "grid": {"step.option": [..]}, "arms": [{"name": …, "set": {…}}], "threads": N}};
 *       unknown keys are refused with their path.</li>
 * </ul>
 *
 * Instances are immutable; every method returns a new sweep.
 */
public final class Sweep {
    /** The sweep's own file in its output folder (the spec it last ran with). */
    public static final String FILE = "sweep.json";
    /** The folder under the output folder that holds one run folder per distinct step. */
    public static final String STEPS = "steps";
    private static final Set<String> SET_BY_THE_SWEEP = Set.of("out", "json", "record", "overwrite", "resume", "help", "version");
    private static final ObjectMapper STRICT = JsonMappers.shared().copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * One step of every arm.
     *
     * @param name    its name in the sweep (the command's, unless two steps run the same command)
     * @param command the subcommand, e.g. "distill"
     * @param options option long name without "--" → its text
     */
    public record Step(String name, String command, Map<String, String> options) {
        public Step {
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }
    }

    /**
     * One explicit arm.
     *
     * @param name      its name in the results table
     * @param overrides "step.option" → text (null: leave the option out)
     */
    public record Arm(String name, Map<String, @Nullable String> overrides) {
        public Arm {
            overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
        }
    }

    private final String name;
    private final List<Step> steps;
    private final Map<String, List<@Nullable String>> grid;
    private final List<Arm> explicitArms;
    private final int threads;

    private Sweep(String name, List<Step> steps, Map<String, List<@Nullable String>> grid, List<Arm> explicitArms, int threads) {
        this.name = name;
        this.steps = List.copyOf(steps);
        this.grid = Collections.unmodifiableMap(new LinkedHashMap<>(grid));
        this.explicitArms = List.copyOf(explicitArms);
        this.threads = threads;
    }

    /** An empty sweep called {@code name}; add steps, then a grid or arms. */
    public static Sweep named(String name) {
        if (name.isBlank()) {
            throw new InvalidInputException("a sweep needs a name");
        }
        return new Sweep(name, List.of(), Map.of(), List.of(), 0);
    }

    /** This sweep with a step running {@code command}, named after it. */
    public Sweep step(String command, Map<String, ?> options) {
        return step(command, command, options);
    }

    /**
     * This sweep with a step named {@code stepName} that runs {@code command} with {@code options}.
     *
     * @throws InvalidInputException for an unknown command or option, an option the sweep sets ({@code out}, {@code
     *     json}, …), a repeated step name, or a reference to a step that does not come earlier
     */
    public Sweep step(String stepName, String command, Map<String, ?> options) {
        return withStep(stepName, command, options, "step '" + stepName + "'");
    }

    private Sweep withStep(String stepName, String command, Map<String, ?> options, String where) {
        if (!stepName.matches("[A-Za-z0-9_-]+")) {
            throw new InvalidInputException(where + ": a step name is letters, digits, '-' and '_', got '" + stepName + "'");
        }
        if (steps.stream().anyMatch(s -> s.name().equals(stepName))) {
            throw new InvalidInputException(where + ": a step named '" + stepName + "' exists; give this one another name");
        }
        if (command.equals("sweep")) {
            throw new InvalidInputException(where + ": a sweep cannot be a step of a sweep (give its steps and grid here)");
        }
        CommandSpec spec = RunRecorder.command(command).orElseThrow(() -> new InvalidInputException(where + ": '" + command
                + "' is not a command (" + String.join(", ", RunRecorder.commandNames().stream()
                        .filter(c -> !c.equals("sweep")).toList()) + ")"));
        Map<String, String> texts = new LinkedHashMap<>();
        options.forEach((k, v) -> {
            option(spec, k, where + " option '" + k + "'");
            String text = text(v, where + " option '" + k + "'");
            if (text != null) {
                checkReference(text, where + " option '" + k + "'");
                texts.put(k, text);
            }
        });
        List<Step> s = new ArrayList<>(steps);
        s.add(new Step(stepName, command, texts));
        return new Sweep(name, s, grid, explicitArms, threads);
    }

    /**
     * This sweep with {@code key} ("step.option") varied over {@code values}: arms are every combination of the grid.
     *
     * @throws InvalidInputException for an unknown step or option, a key already in the grid, or no values
     */
    public Sweep grid(String key, List<?> values) {
        return withGrid(key, values, "grid '" + key + "'");
    }

    private Sweep withGrid(String key, List<?> values, String where) {
        target(key, where);
        if (grid.containsKey(key)) {
            throw new InvalidInputException(where + ": already in the grid");
        }
        if (values.isEmpty()) {
            throw new InvalidInputException(where + ": no values");
        }
        List<@Nullable String> texts = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String t = text(values.get(i), where + " value " + i);
            if (t != null) {
                checkReference(t, where + " value " + i);
            }
            if (texts.contains(t)) {
                throw new InvalidInputException(where + ": value '" + t + "' appears twice");
            }
            texts.add(t);
        }
        Map<String, List<@Nullable String>> g = new LinkedHashMap<>(grid);
        g.put(key, texts);
        return new Sweep(name, steps, g, explicitArms, threads);
    }

    /** This sweep with an explicit arm: {@code overrides} ("step.option" → value) on top of the steps' options. */
    public Sweep arm(String armName, Map<String, ?> overrides) {
        return withArm(armName, overrides, "arm '" + armName + "'");
    }

    private Sweep withArm(String armName, Map<String, ?> overrides, String where) {
        if (armName.isBlank()) {
            throw new InvalidInputException(where + ": an arm needs a name");
        }
        if (explicitArms.stream().anyMatch(a -> a.name().equals(armName))) {
            throw new InvalidInputException(where + ": an arm with this name exists");
        }
        Map<String, @Nullable String> texts = new LinkedHashMap<>();
        overrides.forEach((k, v) -> {
            target(k, where + " key '" + k + "'");
            String t = text(v, where + " key '" + k + "'");
            if (t != null) {
                checkReference(t, where + " key '" + k + "'");
            }
            texts.put(k, t);
        });
        List<Arm> a = new ArrayList<>(explicitArms);
        a.add(new Arm(armName, texts));
        return new Sweep(name, steps, grid, a, threads);
    }

    /** This sweep with {@code n} PyTorch threads per step (0: the executor's choice: its share of the cores). */
    public Sweep withThreads(int n) {
        if (n < 0) {
            throw new InvalidInputException("threads must be 0 (the executor's choice) or more, got " + n);
        }
        return new Sweep(name, steps, grid, explicitArms, n);
    }

    public String name() {
        return name;
    }

    public List<Step> steps() {
        return steps;
    }

    /** "step.option" → the values it takes, in order. */
    public Map<String, List<@Nullable String>> grid() {
        return grid;
    }

    public List<Arm> explicitArms() {
        return explicitArms;
    }

    public int threads() {
        return threads;
    }

    /** Every arm: each explicit arm (or one empty one) combined with every combination of the grid's values. */
    public List<Arm> arms() {
        List<Arm> bases = explicitArms.isEmpty() ? List.of(new Arm("", Map.of())) : explicitArms;
        List<Arm> out = new ArrayList<>();
        for (Arm base : bases) {
            List<Arm> partial = List.of(base);
            for (Map.Entry<String, List<@Nullable String>> e : grid.entrySet()) {
                List<Arm> next = new ArrayList<>();
                for (Arm a : partial) {
                    for (String v : e.getValue()) {
                        Map<String, @Nullable String> o = new LinkedHashMap<>(a.overrides());
                        o.put(e.getKey(), v);
                        String part = shortKey(e.getKey()) + "=" + (v == null ? "(default)" : v);
                        next.add(new Arm(a.name().isEmpty() ? part : a.name() + ", " + part, o));
                    }
                }
                partial = next;
            }
            out.addAll(partial);
        }
        if (out.size() == 1 && out.get(0).name().isEmpty()) {
            return List.of(new Arm("base", Map.of()));
        }
        return out;
    }

    /** The keys ("step.option") some arm sets: the configuration columns of the results table. */
    public List<String> variedKeys() {
        List<String> keys = new ArrayList<>();
        explicitArms.forEach(a -> a.overrides().keySet().stream().filter(k -> !keys.contains(k)).forEach(keys::add));
        grid.keySet().stream().filter(k -> !keys.contains(k)).forEach(keys::add);
        return keys;
    }

    /** A grid key in arm names: the option alone, unless two varied keys share it. */
    private String shortKey(String key) {
        String option = key.substring(key.indexOf('.') + 1);
        long same = variedKeys().stream().filter(k -> k.substring(k.indexOf('.') + 1).equals(option)).count();
        return same > 1 ? key : option;
    }

    /** Runs the sweep one step after another into {@code out}; see {@link #run(Path, SweepExecutor)}. */
    public SweepResult run(Path out) {
        try (SweepExecutor sequential = SweepExecutor.sequential()) {
            return run(out, sequential);
        }
    }

    /** As {@link #run(Path, SweepExecutor, OutputFolder.Mode, Progress)}, resuming what {@code out} holds. */
    public SweepResult run(Path out, SweepExecutor executor) {
        return run(out, executor, OutputFolder.Mode.RESUME, Progress.current());
    }

    /**
     * Runs every arm into {@code out}: step by step (every arm's first step, then every arm's second, …), each distinct
     * step once, on {@code executor}. A step whose record is in {@code out} is reused, so a sweep run again finishes
     * only what is missing; a failing step fails its arms (their rows say why) and not the others. Writes {@value
     * #FILE}, {@code results.csv}, {@code results.html} and {@code results.json} into {@code out}.
     *
     * @param mode RESUME (keep what {@code out} holds) or OVERWRITE (delete it first); FRESH refuses a non-empty folder
     * @throws InvalidInputException before anything runs, when an arm's command line does not parse, or {@code out}
     *     is not a sweep's folder or is being written by another run
     */
    public SweepResult run(Path out, SweepExecutor executor, OutputFolder.Mode mode, Progress progress) {
        if (steps.isEmpty()) {
            throw new InvalidInputException("sweep '" + name + "' has no steps");
        }
        long start = System.nanoTime();
        Path dir = out.toAbsolutePath().normalize();
        int perStep = threads > 0 ? threads : executor.defaultThreads();
        List<PlannedArm> plan = plan(dir, perStep); // every command line checked before the folder is touched
        try (OutputFolder claim = OutputFolder.claim(dir, mode, FILE)) {
            Files.writeString(dir.resolve(FILE), toJson(), StandardCharsets.UTF_8);
            Map<String, StepOutcome> outcomes = new HashMap<>();
            for (int i = 0; i < steps.size(); i++) {
                Map<String, StepTask> todo = new LinkedHashMap<>();
                for (PlannedArm a : plan) {
                    if (a.failedBefore(i, outcomes) == null) {
                        StepTask t = a.tasks().get(i);
                        if (!outcomes.containsKey(t.key())) {
                            todo.putIfAbsent(t.key(), t);
                        }
                    }
                }
                progress.update("sweep " + name, i, steps.size(), steps.get(i).name() + ": " + todo.size()
                        + (todo.size() == 1 ? " run" : " runs") + ", " + executor.describe());
                for (StepOutcome o : executor.run(new ArrayList<>(todo.values()))) {
                    outcomes.put(o.key(), o);
                }
            }
            progress.update("sweep " + name, steps.size(), steps.size(), "done");
            SweepResult result = SweepResult.of(this, plan, outcomes, executor.describe(), (System.nanoTime() - start) / 1e9);
            result.write(dir);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** One arm with its steps' tasks, in step order. */
    record PlannedArm(Arm arm, List<StepTask> tasks) {
        /** The first step before {@code step} that failed (or was not run), or null. */
        @Nullable StepTask failedBefore(int step, Map<String, StepOutcome> outcomes) {
            for (int j = 0; j < step; j++) {
                StepOutcome o = outcomes.get(tasks.get(j).key());
                if (o == null || !o.ok()) {
                    return tasks.get(j);
                }
            }
            return null;
        }
    }

    /** Every arm's command lines with their run folders under {@code out}; each is parsed here, nothing runs. */
    List<PlannedArm> plan(Path out, int threadsPerStep) {
        List<PlannedArm> plan = new ArrayList<>();
        Map<String, CommandSpec> specs = new HashMap<>(); // each command's options, looked up once for every arm
        steps.forEach(s -> specs.computeIfAbsent(s.command(), c -> RunRecorder.command(c).orElseThrow()));
        for (Arm arm : arms()) {
            Map<String, Path> outputs = new HashMap<>();
            List<StepTask> tasks = new ArrayList<>();
            for (Step s : steps) {
                String where = "arm '" + arm.name() + "', step '" + s.name() + "'";
                CommandSpec spec = specs.get(s.command());
                Map<String, @Nullable String> options = new LinkedHashMap<>(s.options());
                arm.overrides().forEach((k, v) -> {
                    if (k.startsWith(s.name() + ".")) {
                        options.put(k.substring(s.name().length() + 1), v);
                    }
                });
                List<String> args = new ArrayList<>(List.of(s.command()));
                options.forEach((k, v) -> {
                    if (v != null) {
                        OptionSpec o = option(spec, k, where);
                        addOption(args, o, k, resolve(v, o, outputs, where + " option '" + k + "'"), where);
                    }
                });
                String key = digest(args, out);
                Path runDir = out.resolve(STEPS).resolve(s.name() + "-" + key);
                if (spec.findOption("--out") != null) {
                    args.add("--out");
                    args.add(runDir.resolve("out").toString());
                    outputs.put(s.name(), runDir.resolve("out"));
                }
                try {
                    RunRecorder.check(args);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException(where + ": " + e.getMessage());
                }
                tasks.add(new StepTask(key, s.name(), runDir.toString(), args, threadsPerStep));
            }
            plan.add(new PlannedArm(arm, tasks));
        }
        return plan;
    }

    private static void addOption(List<String> args, OptionSpec o, String key, String value, String where) {
        if (o.arity().max() == 0) { // a flag
            switch (value) {
                case "true" -> args.add("--" + key);
                case "false" -> { }
                default -> throw new InvalidInputException(where + " option '" + key + "' is a flag: true or false, got '" + value + "'");
            }
            return;
        }
        args.add("--" + key);
        args.add(value);
    }

    /** {@code "@step"} → that step's output folder in this arm; a relative path → absolute (executors may run elsewhere). */
    private static String resolve(String value, OptionSpec o, Map<String, Path> outputs, String where) {
        if (value.startsWith("@@")) {
            return value.substring(1);
        }
        if (value.startsWith("@")) {
            Path p = outputs.get(value.substring(1));
            if (p == null) {
                throw new InvalidInputException(where + ": step '" + value.substring(1) + "' writes no output folder");
            }
            return p.toString();
        }
        if (o.type() == Path.class) {
            return Path.of(value).toAbsolutePath().normalize().toString();
        }
        return value;
    }

    /** A reference must name an earlier step (checked as steps are added, so a spec error shows before any run). */
    private void checkReference(String value, String where) {
        if (value.startsWith("@") && !value.startsWith("@@")) {
            String ref = value.substring(1);
            Step s = steps.stream().filter(x -> x.name().equals(ref)).findFirst().orElseThrow(() -> new InvalidInputException(
                    where + ": '" + value + "' names no earlier step (steps so far: " + String.join(", ",
                            steps.stream().map(Step::name).toList()) + "; '@@' starts a literal '@')"));
            if (RunRecorder.command(s.command()).orElseThrow().findOption("--out") == null) {
                throw new InvalidInputException(where + ": step '" + ref + "' (" + s.command() + ") writes no output folder");
            }
        }
    }

    /** The option {@code key} of {@code spec}; refused when unknown or set by the sweep. */
    private static OptionSpec option(CommandSpec spec, String key, String where) {
        if (SET_BY_THE_SWEEP.contains(key)) {
            throw new InvalidInputException(where + ": --" + key + " is set by the sweep");
        }
        OptionSpec o = key.startsWith("-") ? null : spec.findOption("--" + key);
        if (o == null) {
            throw new InvalidInputException(where + ": " + spec.name() + " has no option --" + key + " (options: "
                    + String.join(", ", spec.options().stream().map(x -> x.longestName().replaceFirst("^--", ""))
                            .filter(x -> !SET_BY_THE_SWEEP.contains(x)).toList()) + ")");
        }
        return o;
    }

    /** Checks a "step.option" key against the steps added so far. */
    private void target(String key, String where) {
        int dot = key.indexOf('.');
        String stepName = dot < 0 ? key : key.substring(0, dot);
        Step s = steps.stream().filter(x -> x.name().equals(stepName)).findFirst().orElseThrow(() -> new InvalidInputException(
                where + ": '" + key + "' must be step.option with a step of this sweep (" + String.join(", ",
                        steps.stream().map(Step::name).toList()) + ")"));
        if (dot < 0) {
            throw new InvalidInputException(where + ": '" + key + "' names no option (e.g. '" + s.name() + ".seed')");
        }
        option(RunRecorder.command(s.command()).orElseThrow(), key.substring(dot + 1), where);
    }

    /** An option value as command-line text: numbers in plain notation, paths as given, null for "leave it out". */
    static @Nullable String text(@Nullable Object v, String where) {
        if (v == null) {
            return null;
        }
        if (v instanceof BigDecimal d) {
            return plain(d);
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) {
                throw new InvalidInputException(where + ": " + d + " is not a number an option takes");
            }
            return plain(BigDecimal.valueOf(d));
        }
        if (v instanceof Number || v instanceof Boolean || v instanceof CharSequence || v instanceof Path) { // a Path is Iterable: before the list check
            return v.toString();
        }
        if (v instanceof Iterable<?> || v instanceof Map<?, ?> || v.getClass().isArray()) {
            throw new InvalidInputException(where + ": a list or map; give the option's text (e.g. \"3,4\"), or vary it in the grid");
        }
        return v.toString();
    }

    private static String plain(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }

    /**
     * The first 12 hex digits of SHA-256 over the command line (NUL-separated), with the sweep's folder written as
     * {@code $OUT}: a sweep folder that is moved or copied still finds its records.
     */
    private static String digest(List<String> args, Path out) {
        String prefix = out.toString();
        String line = String.join("\0", args.stream().map(a -> a.startsWith(prefix) ? "$OUT" + a.substring(prefix.length()) : a).toList());
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(line.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- JSON ----

    /** The sweep in {@code file} (JSON); relative paths in it are relative to the working directory, as on the command line. */
    public static Sweep load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read the sweep spec (" + e.getMessage() + ")");
        }
    }

    /**
     * The sweep written as {@code json}; {@code source} names it in messages.
     *
     * @throws InvalidInputException naming the JSON path of the first problem ({@code $.steps[1].options.lr: …})
     */
    public static Sweep parse(String json, String source) {
        JsonNode root;
        try {
            root = STRICT.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidInputException(source + ": not JSON (" + e.getOriginalMessage() + ", line "
                    + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")");
        } catch (IOException e) {
            throw new InvalidInputException(source + ": " + e.getMessage());
        }
        String at = source + ": $";
        if (root == null || !root.isObject()) {
            throw new InvalidInputException(at + ": a sweep is a JSON object");
        }
        keys(root, at, Set.of("name", "steps", "grid", "arms", "threads"));
        JsonNode nameNode = root.get("name");
        if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
            throw new InvalidInputException(at + ".name: a non-empty string is required");
        }
        Sweep s = named(nameNode.asText());
        JsonNode stepsNode = root.get("steps");
        if (stepsNode == null || !stepsNode.isArray() || stepsNode.isEmpty()) {
            throw new InvalidInputException(at + ".steps: a non-empty list of steps is required");
        }
        for (int i = 0; i < stepsNode.size(); i++) {
            String p = at + ".steps[" + i + "]";
            JsonNode st = stepsNode.get(i);
            if (!st.isObject()) {
                throw new InvalidInputException(p + ": a step is an object {\"command\": …, \"options\": {…}}");
            }
            keys(st, p, Set.of("command", "name", "options"));
            JsonNode command = st.get("command");
            if (command == null || !command.isTextual()) {
                throw new InvalidInputException(p + ".command: a command name is required (e.g. \"distill\")");
            }
            JsonNode stepName = st.get("name");
            if (stepName != null && !stepName.isTextual()) {
                throw new InvalidInputException(p + ".name: a string");
            }
            JsonNode options = st.get("options");
            if (options != null && !options.isObject()) {
                throw new InvalidInputException(p + ".options: an object of option → value");
            }
            Map<String, Object> opts = new LinkedHashMap<>();
            if (options != null) {
                options.fields().forEachRemaining(e -> opts.put(e.getKey(), scalar(e.getValue(), p + ".options." + e.getKey())));
            }
            s = s.withStep(stepName == null ? command.asText() : stepName.asText(), command.asText(), opts, p);
        }
        JsonNode grid = root.get("grid");
        if (grid != null) {
            if (!grid.isObject()) {
                throw new InvalidInputException(at + ".grid: an object of \"step.option\" → list of values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = grid.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String p = at + ".grid." + e.getKey();
                if (!e.getValue().isArray()) {
                    throw new InvalidInputException(p + ": a list of values");
                }
                List<Object> values = new ArrayList<>();
                for (int i = 0; i < e.getValue().size(); i++) {
                    values.add(scalar(e.getValue().get(i), p + "[" + i + "]"));
                }
                s = s.withGrid(e.getKey(), values, p);
            }
        }
        JsonNode arms = root.get("arms");
        if (arms != null) {
            if (!arms.isArray()) {
                throw new InvalidInputException(at + ".arms: a list of {\"name\": …, \"set\": {…}}");
            }
            for (int i = 0; i < arms.size(); i++) {
                String p = at + ".arms[" + i + "]";
                JsonNode a = arms.get(i);
                if (!a.isObject()) {
                    throw new InvalidInputException(p + ": an arm is an object {\"name\": …, \"set\": {…}}");
                }
                keys(a, p, Set.of("name", "set"));
                if (a.get("name") == null || !a.get("name").isTextual()) {
                    throw new InvalidInputException(p + ".name: a string is required");
                }
                JsonNode set = a.get("set");
                if (set != null && !set.isObject()) {
                    throw new InvalidInputException(p + ".set: an object of \"step.option\" → value");
                }
                Map<String, @Nullable Object> overrides = new LinkedHashMap<>();
                if (set != null) {
                    set.fields().forEachRemaining(e -> overrides.put(e.getKey(), scalar(e.getValue(), p + ".set." + e.getKey())));
                }
                s = s.withArm(a.get("name").asText(), overrides, p);
            }
        }
        JsonNode threadsNode = root.get("threads");
        if (threadsNode != null) {
            if (!threadsNode.canConvertToInt() || !threadsNode.isIntegralNumber() || threadsNode.asInt() < 0) {
                throw new InvalidInputException(at + ".threads: 0 (the executor's choice) or a positive number of threads");
            }
            s = s.withThreads(threadsNode.asInt());
        }
        return s;
    }

    private static void keys(JsonNode node, String at, Set<String> allowed) {
        node.fieldNames().forEachRemaining(k -> {
            if (!allowed.contains(k)) {
                throw new InvalidInputException(at + "." + k + ": unknown key (expected " + String.join(", ",
                        allowed.stream().sorted().toList()) + ")");
            }
        });
    }

    /** A JSON value an option can take: string, number, boolean or null. */
    private static @Nullable Object scalar(JsonNode v, String at) {
        if (v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isNumber()) {
            return v.decimalValue();
        }
        throw new InvalidInputException(at + ": a string, number, boolean or null (a list or object is not an option value)");
    }

    /** The sweep as JSON, in the form {@link #parse} reads. */
    public String toJson() {
        ObjectNode o = JsonMappers.shared().createObjectNode().put("name", name);
        ArrayNode st = o.putArray("steps");
        for (Step s : steps) {
            ObjectNode n = st.addObject().put("command", s.command());
            if (!s.name().equals(s.command())) {
                n.put("name", s.name());
            }
            ObjectNode opts = n.putObject("options");
            s.options().forEach(opts::put);
        }
        if (!grid.isEmpty()) {
            ObjectNode g = o.putObject("grid");
            grid.forEach((k, vs) -> {
                ArrayNode a = g.putArray(k);
                vs.forEach(a::add);
            });
        }
        if (!explicitArms.isEmpty()) {
            ArrayNode a = o.putArray("arms");
            for (Arm arm : explicitArms) {
                ObjectNode set = a.addObject().put("name", arm.name()).putObject("set");
                arm.overrides().forEach(set::put);
            }
        }
        if (threads > 0) {
            o.put("threads", threads);
        }
        try {
            return JsonMappers.indented().writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "sweep '" + name + "': " + steps.size() + " steps (" + String.join(" → ", steps.stream().map(Step::name).toList())
                + "), " + arms().size() + " arms";
    }
}
