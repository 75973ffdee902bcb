package org.minitron4j.cli;

import java.io.PrintWriter;
import org.minitron4j.InvalidInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./minitron4j} command line. Results go to stdout (one JSON object with {@code --json}); progress and
 * logs go to stderr. Bad input exits with code 2 and a one-line message, no stack trace.
 */
@Command(name = "minitron4j", mixinStandardHelpOptions = true, version = "minitron4j 0.1.0",
        description = "Prune and distil decoder-only language models (the Minitron method) on one machine.",
        subcommands = {InfoCommand.class, EvalCommand.class, GenerateCommand.class, TinyWorldCommand.class,
            TeacherCommand.class, ImportanceCommand.class, PruneCommand.class, SearchCommand.class, DistillCommand.class, DemoCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        configureThreads();
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(System.err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable root = e;
            while (!(root instanceof InvalidInputException) && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root instanceof InvalidInputException) {
                cmd.getErr().println("error: " + root.getMessage());
                return EXIT_BAD_INPUT;
            }
            if (e instanceof java.io.UncheckedIOException || e instanceof java.nio.file.NoSuchFileException) {
                cmd.getErr().println("error: " + e.getMessage());
                return EXIT_BAD_INPUT;
            }
            cmd.getErr().println("internal error: " + e);
            e.printStackTrace(System.err);
            return 1;
        });
        return cli.execute(args);
    }

    /** PyTorch intra-op threads default to the core count; one inter-op thread (set before the engine starts). */
    private static void configureThreads() {
        if (System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(Runtime.getRuntime().availableProcessors()));
        }
        if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
    }
}
