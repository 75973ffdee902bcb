package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import org.minitron4j.experiment.Environment;
import org.minitron4j.experiment.Fingerprint;
import org.minitron4j.experiment.ReplayReport;
import org.minitron4j.experiment.RunRecord;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * Records a command-line run ({@code --record DIR}) and replays one ({@code replay DIR}): the glue between the
 * commands and {@link RunRecord}. A run is recorded only when its command succeeds; its outputs stay where the
 * command wrote them. A replay writes into a scratch folder, never over the recorded run's outputs.
 */
public final class RunRecorder {
    /** Options that name what a command writes; every other option naming an existing file or folder is an input. */
    static final Set<String> OUTPUT_OPTIONS = Set.of("--out", "--predictions");
    /** Output files compared byte for byte; CSV tables are compared without their timing columns. */
    private static final Set<String> COMPARED_FILES = Set.of("safetensors", "jsonl", "npy", "bin");
    private static final String CHECKPOINTS = "checkpoints"; // resumable training state: large, and redundant with the weights

    private RunRecorder() {
    }

    /** A recorded or replayed command that exited with a non-zero code (it printed its own error). */
    public static final class CommandFailed extends RuntimeException {
        private final int exitCode;

        CommandFailed(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    /** What one execution gave: its exit code, its {@code --json} object (null if none), wall time, error line. */
    private record Outcome(int exitCode, ObjectNode json, double seconds, String error) {
    }

    /**
     * Runs {@code args} (a command line after the program name, e.g. {@code distill --teacher … --out …}) and writes
     * its {@link RunRecord} into {@code runDir}. The command must accept {@code --json} (added when missing).
     *
     * @throws InvalidInputException for bad arguments, a command without results, or a run folder that is not empty
     *     (without {@code --overwrite} among the arguments, which then also clears it) or is being written
     * @throws CommandFailed when the command fails (its own error was printed)
     */
    public static RunRecord record(Path runDir, List<String> args) {
        return record(runDir, args, true);
    }

    /** As {@link #record(Path, List)}; {@code echo} false keeps the command's JSON off stdout (a sweep prints its own). */
    public static RunRecord record(Path runDir, List<String> args, boolean echo) {
        try (OutputFolder claim = OutputFolder.claim(runDir, OverwriteOption.mode(args.contains("--overwrite")))) {
            return recordInto(runDir, args, echo);
        }
    }

    /** The commands a run can record: those that print {@code --json} results. */
    public static List<String> commandNames() {
        return Main.commandLine().getSubcommands().values().stream().map(CommandLine::getCommandSpec)
                .filter(RunRecorder::recordable).map(CommandSpec::name).toList();
    }

    /** The recordable command {@code name} of the command line ({@code distill}, {@code eval}, …), if there is one. */
    public static java.util.Optional<CommandSpec> command(String name) {
        CommandLine sub = Main.commandLine().getSubcommands().get(name);
        return java.util.Optional.ofNullable(sub == null || !recordable(sub.getCommandSpec()) ? null : sub.getCommandSpec());
    }

    /** Whether a command prints {@code --json} results, so that a run of it can be recorded (a replay cannot). */
    private static boolean recordable(CommandSpec spec) {
        return spec.findOption("--json") != null && !spec.name().equals("replay");
    }

    /**
     * Checks that {@code args} (command first) parse and can be recorded, without running anything.
     *
     * @throws InvalidInputException naming the argument that does not parse
     */
    public static void check(List<String> args) {
        parse(args);
    }

    private static RunRecord recordInto(Path runDir, List<String> args, boolean echo) {
        ParseResult parsed = parse(args);
        CommandSpec spec = parsed.subcommand().commandSpec();
        Map<String, String> config = new LinkedHashMap<>();
        List<Fingerprint> inputs = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp() || name.equals("--json")) {
                continue;
            }
            config.put(name, text(o.getValue()));
            if (!OUTPUT_OPTIONS.contains(name)) {
                for (Path p : paths(o.getValue())) {
                    inputs.add(Fingerprint.of(name, p));
                }
            }
        }
        String created = Instant.now().toString();
        Outcome outcome = run(args, echo);
        if (outcome.exitCode() != 0) {
            throw new CommandFailed(spec.name() + " failed (exit code " + outcome.exitCode() + ")"
                    + (outcome.error() == null ? "" : ": " + outcome.error()) + "; nothing recorded", outcome.exitCode());
        }
        Map<String, Path> outputs = outputPaths(parsed);
        List<Fingerprint> written = fingerprintOutputs(outputs);
        copyTables(outputs, runDir.resolve(RunRecord.TABLES));
        RunRecord r = new RunRecord(RunRecord.FORMAT, spec.name(), args, Path.of("").toAbsolutePath().toString(), created,
                config, Environment.current(config.getOrDefault("--device", "")), inputs, written, outcome.json(),
                outcome.seconds());
        r.save(runDir);
        return r;
    }

    /**
     * Runs the record in {@code runDir} again, writing its outputs under {@code keep} (or a scratch folder that is
     * deleted afterwards), and compares results, inputs and outputs with the recorded ones: file digests exactly,
     * numeric results within the relative {@code tolerance} (0: the same bits).
     */
    public static ReplayReport replay(Path runDir, Path keep, double tolerance) {
        RunRecord r = RunRecord.load(runDir);
        List<ReplayReport.Check> inputChecks = new ArrayList<>();
        for (Fingerprint f : r.inputs()) {
            Path p = Path.of(f.path());
            if (!Files.exists(p)) {
                throw new InvalidInputException("replay of " + runDir + ": input " + f.role() + " " + p
                        + " not found (the run was recorded in " + r.workingDirectory() + "; replay from there)");
            }
            inputChecks.add(new ReplayReport.Check("input", f.role() + " " + f.path(), f.sha256(),
                    Fingerprint.of(f.role(), p).sha256()));
        }
        Path scratch;
        try {
            scratch = keep != null ? Files.createDirectories(keep) : Files.createTempDirectory("minitron4j-replay");
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + keep + ": " + e.getMessage(), e);
        }
        try {
            List<String> args = redirectOutputs(r.args(), scratch);
            Outcome outcome = run(args, false);
            if (outcome.exitCode() != 0) {
                throw new CommandFailed("replay of " + runDir + ": " + r.command() + " failed (exit code "
                        + outcome.exitCode() + ")", outcome.exitCode());
            }
            List<Fingerprint> outputs = fingerprintOutputs(outputPaths(parse(args)));
            List<String> env = r.environment().differences(Environment.current(r.config().getOrDefault("--device", "")));
            return ReplayReport.compare(runDir, r, inputChecks, RunRecord.flatten(outcome.json()), outputs, env,
                    keep, tolerance);
        } finally {
            if (keep == null) {
                deleteTree(scratch);
            }
        }
    }

    /** Removes {@code --record DIR} (or {@code --record=DIR}) from {@code args} and returns DIR, or null if absent. */
    static Path takeRecordOption(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--record")) {
                if (i + 1 >= args.size()) {
                    throw new InvalidInputException("--record needs a folder");
                }
                args.remove(i);
                return Path.of(args.remove(i));
            }
            if (a.startsWith("--record=")) {
                args.remove(i);
                return Path.of(a.substring("--record=".length()));
            }
        }
        return null;
    }

    private static ParseResult parse(List<String> args) {
        ParseResult parsed;
        try {
            parsed = Main.commandLine().parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new InvalidInputException(e.getMessage());
        }
        if (parsed.subcommand() == null) {
            throw new InvalidInputException("--record needs a command, e.g. --record runs/kd distill --teacher …");
        }
        CommandSpec spec = parsed.subcommand().commandSpec();
        if (!recordable(spec)) {
            throw new InvalidInputException("'" + spec.name() + "' prints no --json results, so it cannot be recorded");
        }
        return parsed;
    }

    private static Outcome run(List<String> args, boolean echo) {
        List<String> a = new ArrayList<>(args);
        if (!a.contains("--json")) {
            a.add("--json");
        }
        Json.Capture capture = Json.beginCapture(echo);
        long start = System.nanoTime();
        try {
            int code = Main.commandLine().execute(a.toArray(String[]::new));
            return new Outcome(code, capture.printed, (System.nanoTime() - start) / 1e9, capture.error);
        } finally {
            Json.endCapture();
        }
    }

    /** The output options of a parsed command line with their effective paths (defaults included). */
    private static Map<String, Path> outputPaths(ParseResult parsed) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String name : OUTPUT_OPTIONS.stream().sorted().toList()) {
            OptionSpec o = parsed.subcommand().commandSpec().findOption(name);
            if (o != null && o.getValue() != null) {
                out.put(name, Path.of(o.getValue().toString()));
            }
        }
        return out;
    }

    /** {@code args} with each output option pointing into {@code scratch} (added when it was left at its default). */
    private static List<String> redirectOutputs(List<String> args, Path scratch) {
        List<String> a = new ArrayList<>(args);
        CommandSpec spec = parse(a).subcommand().commandSpec();
        for (String name : OUTPUT_OPTIONS.stream().sorted().toList()) {
            if (spec.findOption(name) == null) {
                continue;
            }
            String target = scratch.resolve(name.substring(2)).toString();
            boolean found = false;
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i).equals(name) && i + 1 < a.size()) {
                    a.set(i + 1, target);
                    found = true;
                } else if (a.get(i).startsWith(name + "=")) {
                    a.set(i, name + "=" + target);
                    found = true;
                }
            }
            if (!found && spec.findOption(name).getValue() != null) {
                a.add(name);
                a.add(target);
            }
        }
        return a;
    }

    /** Fingerprints of the deterministic files under each output: weights, predictions, tables without timing columns. */
    private static List<Fingerprint> fingerprintOutputs(Map<String, Path> outputs) {
        List<Fingerprint> out = new ArrayList<>();
        outputs.forEach((option, path) -> {
            if (Files.isRegularFile(path)) {
                out.add(Fingerprint.of(option, path));
            } else if (Files.isDirectory(path)) {
                for (Path f : files(path)) {
                    String rel = path.relativize(f).toString().replace('\\', '/');
                    String ext = extension(f);
                    if (COMPARED_FILES.contains(ext)) {
                        out.add(Fingerprint.of(option + ":" + rel, f));
                    } else if (ext.equals("csv")) {
                        out.add(Fingerprint.ofContent(option + ":" + rel, rel, tableWithoutTiming(f)));
                    }
                }
            }
        });
        return out;
    }

    /** Copies the CSV tables a run wrote into the run folder, so the record carries its results as tables. */
    private static void copyTables(Map<String, Path> outputs, Path tablesDir) {
        for (Path out : outputs.values()) {
            if (!Files.isDirectory(out)) {
                continue;
            }
            for (Path f : files(out)) {
                if (extension(f).equals("csv")) {
                    try {
                        Files.createDirectories(tablesDir);
                        Files.copy(f, tablesDir.resolve(out.relativize(f).toString().replace('/', '_').replace('\\', '_')),
                                StandardCopyOption.REPLACE_EXISTING);
                    } catch (IOException e) {
                        throw new UncheckedIOException("copying " + f + " into " + tablesDir + ": " + e.getMessage(), e);
                    }
                }
            }
        }
    }

    /** The CSV's cells as text (no type conversion), without the columns that measure time or speed. */
    private static byte[] tableWithoutTiming(Path csv) {
        Table t;
        try {
            t = Table.read().usingOptions(CsvReadOptions.builder(csv.toFile())
                    .columnTypesToDetect(List.of(ColumnType.STRING)).sample(false));
        } catch (RuntimeException e) {
            return ("unreadable table: " + e.getMessage()).getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder();
        List<Integer> kept = new ArrayList<>();
        for (int c = 0; c < t.columnCount(); c++) {
            if (!RunRecord.isVolatile(t.column(c).name())) {
                kept.add(c);
                sb.append(t.column(c).name()).append('\u001f');
            }
        }
        sb.append('\n');
        for (int r = 0; r < t.rowCount(); r++) {
            for (int c : kept) {
                sb.append(t.column(c).getString(r)).append('\u001f');
            }
            sb.append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Regular files under {@code dir} in name order, without resumable training checkpoints. */
    private static List<Path> files(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(f -> !dir.relativize(f).toString().replace('\\', '/').startsWith(CHECKPOINTS + "/"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The existing files or folders an option's value names (none for values that are not paths). */
    private static List<Path> paths(Object value) {
        List<Path> out = new ArrayList<>();
        if (value instanceof Collection<?> c) {
            c.forEach(v -> out.addAll(paths(v)));
        } else if (value instanceof Object[] arr) {
            Arrays.stream(arr).forEach(v -> out.addAll(paths(v)));
        } else if (value instanceof Path p) {
            if (Files.exists(p)) {
                out.add(p);
            }
        } else if (value instanceof String s && !s.isBlank() && (s.contains("/") || s.contains("."))) {
            try {
                Path p = Path.of(s);
                if (Files.exists(p)) {
                    out.add(p);
                }
            } catch (InvalidPathException ignored) {
                // not a path
            }
        }
        return out;
    }

    private static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Object[] arr) {
            return Arrays.toString(arr);
        }
        if (v instanceof int[] a) {
            return Arrays.toString(a);
        }
        if (v instanceof double[] a) {
            return Arrays.toString(a);
        }
        return v.toString();
    }

    private static String extension(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a scratch folder left behind in the temp dir is harmless
        }
    }
}
