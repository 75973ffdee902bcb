package org.minitron4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.JvmOptions;

/**
 * Run records from a notebook or program. {@code Runs.record(dir, "distill", "--teacher", …)} runs the command exactly
 * as {@code ./minitron4j distill … --record dir} does and returns its {@link RunRecord}; {@code Runs.replay(dir)}
 * reruns it and reports whether every number came out identical.
 *
 * <p>Both run the command in a fresh JVM, as the command line does, so that a record's numbers depend on the record
 * alone, not on what the notebook computed before. A replay uses the recorded PyTorch thread count: the reduction
 * order, hence the last bits, depend on it.
 */
public final class Runs {
    private static final String MAIN = "org.minitron4j.cli.Main";
    private static final int BAD_INPUT = 2, REPLAY_DIFFERS = 3;

    private Runs() {
    }

    /** Runs the command line {@code args} (command first) with this process's PyTorch thread count; records it in {@code runDir}. */
    /** {@link #record(Path, String...)} with the command line as a list. */
    public static RunRecord record(Path runDir, java.util.List<String> args) {
        return record(runDir, args.toArray(new String[0]));
    }

    public static RunRecord record(Path runDir, String... args) {
        return record(Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads",
                String.valueOf(Runtime.getRuntime().availableProcessors()))), runDir, args);
    }

    /** As {@link #record(Path, String...)} with {@code threads} PyTorch threads. */
    public static RunRecord record(int threads, Path runDir, String... args) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        List<String> cmd = java(String.valueOf(threads));
        cmd.addAll(List.of(args));
        cmd.add("--record");
        cmd.add(runDir.toAbsolutePath().toString());
        Exec e = exec(cmd, Path.of(""));
        if (e.code() != 0) {
            throw failure("recording " + String.join(" ", args), e);
        }
        return RunRecord.load(runDir);
    }

    /** Reruns the record in {@code runDir} with its recorded thread count in a scratch folder and compares bit for bit. */
    public static ReplayReport replay(Path runDir) {
        return replay(runDir, null, 0);
    }

    /**
     * As {@link #replay(Path)}, keeping the replay's outputs in {@code keep} (null: a scratch folder, deleted) and
     * accepting numeric results within the relative {@code tolerance} (0: the same bits).
     */
    public static ReplayReport replay(Path runDir, @Nullable Path keep, double tolerance) {
        return replay(runDir, keep, tolerance, Path.of(""));
    }

    /**
     * As {@link #replay(Path, Path, double)}, resolving the record's relative paths against {@code workingDirectory}
     * (e.g. the repository root for the records in {@code papers/runs}, from a notebook running in {@code papers/}).
     */
    public static ReplayReport replay(Path runDir, @Nullable Path keep, double tolerance, Path workingDirectory) {
        RunRecord recorded = RunRecord.load(runDir);
        String threads = recorded.environment().threads().isBlank()
                ? String.valueOf(Runtime.getRuntime().availableProcessors()) : recorded.environment().threads();
        List<String> cmd = java(threads);
        cmd.addAll(List.of("replay", runDir.toAbsolutePath().toString(), "--json"));
        if (keep != null) {
            cmd.addAll(List.of("--keep", keep.toAbsolutePath().toString()));
        }
        cmd.addAll(List.of("--tolerance", Double.toString(tolerance)));
        Exec e = exec(cmd, workingDirectory);
        if (e.code() != 0 && e.code() != REPLAY_DIFFERS) {
            throw failure("replaying " + runDir, e);
        }
        try {
            return ReplayReport.fromJson(runDir, JsonMappers.shared().readTree(e.stdout()), keep);
        } catch (IOException ex) {
            throw new IllegalStateException("replaying " + runDir + ": unreadable output '" + e.stdout() + "'", ex);
        }
    }

    private record Exec(int code, String stdout, String stderr) {
    }

    /** {@code java -cp <this library and its dependencies> …Main} with the given PyTorch thread count. */
    private static List<String> java(String threads) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JvmOptions.inherited());
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(k -> k.startsWith("ai.djl.") && !k.endsWith("num_threads"))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.add("-Dai.djl.offline=" + System.getProperty("ai.djl.offline", "true"));
        cmd.add("-Dai.djl.pytorch.num_threads=" + threads);
        cmd.add("-Dai.djl.pytorch.num_interop_threads=" + System.getProperty("ai.djl.pytorch.num_interop_threads", "1"));
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(MAIN);
        return cmd;
    }

    /**
     * This JVM's class path when it holds the library (tests, the launcher), else the library's own jar plus the
     * {@code lib/} folder beside it ({@code library/target}: how the notebook kernel loads it).
     */
    static String classpath() {
        if (ClassLoader.getSystemClassLoader().getResource(MAIN.replace('.', '/') + ".class") != null) {
            return System.getProperty("java.class.path");
        }
        return String.join(File.pathSeparator, libraryClassPath().stream().map(Path::toString).toList());
    }

    /**
     * Where this library's classes are (its jar, or a classes folder) followed by the jars of the {@code lib/} folder
     * beside it ({@code library/target/lib}, where {@code mvn package} puts its dependencies): what another JVM needs
     * on its class path to run the library (a run here, a Spark executor).
     */
    public static List<Path> libraryClassPath() {
        java.security.CodeSource source = Runs.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            throw new IllegalStateException("cannot locate the minitron4j jar to start a run (no code source)");
        }
        Path code;
        try {
            code = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the minitron4j jar to start a run", e);
        }
        List<Path> out = new ArrayList<>(List.of(code));
        Path lib = code.getParent() == null ? null : code.getParent().resolve("lib");
        if (lib != null && Files.isDirectory(lib)) {
            try (java.util.stream.Stream<Path> jars = Files.list(lib)) {
                jars.filter(j -> j.toString().endsWith(".jar")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException("listing " + lib + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Exec exec(List<String> cmd, Path workingDirectory) {
        try {
            Path err = Files.createTempFile("minitron4j-run", ".log");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile())
                        .directory(workingDirectory.toAbsolutePath().toFile());
                Process p = pb.start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int code = p.waitFor();
                return new Exec(code, out.strip(), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static RuntimeException failure(String what, Exec e) {
        // The command's own message: its "error: …" line, else the end of its log (progress lines are \r-separated).
        List<String> lines = e.stderr().lines().flatMap(l -> java.util.Arrays.stream(l.split("\r"))).toList();
        String message = lines.stream().filter(l -> l.startsWith("error: ")).map(l -> l.substring(7)).reduce((a, b) -> b)
                .orElse(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
        return e.code() == BAD_INPUT ? new InvalidInputException(message)
                : new IllegalStateException(what + " failed (exit code " + e.code() + "): " + message);
    }
}
