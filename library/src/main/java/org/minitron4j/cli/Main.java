package org.minitron4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.minitron4j.EngineThreads;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./minitron4j} command line. Results go to stdout (one JSON object with {@code --json}); progress and
 * logs go to stderr. Bad input exits with code 2 and a one-line message, no stack trace.
 */
@Command(name = "minitron4j", mixinStandardHelpOptions = true, version = "minitron4j 0.1.0",
        description = "Prune and distil decoder-only language models (the Minitron method) on one machine.",
        subcommands = {InfoCommand.class, EvalCommand.class, GenerateCommand.class, TinyWorldCommand.class,
            TeacherCommand.class, InitCommand.class, ImportanceCommand.class, PruneCommand.class, SearchCommand.class, DistillCommand.class, DemoCommand.class,
            SweepCommand.class,
            ReplayCommand.class},
        footer = {"", "Any command with --json also takes --record DIR: it then writes a run record (config, seed, versions,",
            "input and output fingerprints, results) into DIR, and `minitron4j replay DIR` reruns it and compares.",
            "Exit codes: 0 ok, 1 internal error, 2 bad input, 3 a replay differs."})
public final class Main implements Runnable {
    public static final int EXIT_BAD_INPUT = 2;
    public static final int EXIT_REPLAY_DIFFERS = 3;
    // Whether the PyTorch thread count was left to the default here (a replay may then take the recorded one).
    static boolean threadsDefaulted;
    private static boolean sharingChecked;

    @Override
    public void run() {
        CommandLine.usage(this, System.err);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        try {
            threadsDefaulted = EngineThreads.configure();
        } catch (InvalidInputException e) {
            System.err.println("error: " + message(e));
            return EXIT_BAD_INPUT;
        }
        if (!sharingChecked) { // once per process (tests run many command lines in one JVM)
            sharingChecked = true;
            EngineThreads.sharingWarning().ifPresent(System.err::println);
        }
        List<String> list = new ArrayList<>(List.of(args));
        Path record;
        try {
            record = RunRecorder.takeRecordOption(list);
            if (record == null) {
                return commandLine().execute(args);
            }
            RunRecorder.record(record, list);
            System.err.println("recorded: " + record);
            return 0;
        } catch (InvalidInputException e) {
            System.err.println("error: " + message(e));
            return EXIT_BAD_INPUT;
        } catch (RunRecorder.CommandFailed e) {
            System.err.println("error: " + e.getMessage());
            return e.exitCode();
        }
    }

    /** The command line with its error handling: bad input → exit 2 and one line, anything else → exit 1 and a trace. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(System.err, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable root = e;
            while (!(root instanceof InvalidInputException) && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root instanceof InvalidInputException bad) {
                return error(cmd, message(bad), EXIT_BAD_INPUT);
            }
            if (e instanceof java.io.UncheckedIOException || e instanceof java.nio.file.NoSuchFileException) {
                return error(cmd, e.getMessage(), EXIT_BAD_INPUT);
            }
            Json.error("internal error: " + e);
            cmd.getErr().println("internal error: " + e);
            e.printStackTrace(System.err);
            return 1;
        });
        return cli;
    }

    /** Prints "error: MESSAGE" (kept for a recording caller too) and returns {@code code}. */
    private static int error(CommandLine cmd, String message, int code) {
        Json.error(message);
        cmd.getErr().println("error: " + message);
        return code;
    }

    /** The one line bad input prints; a refused output folder names the flags that claim it otherwise. */
    private static String message(InvalidInputException e) {
        return e instanceof OutputFolder.Refused refused ? refused.message(OverwriteOption::flag) : e.getMessage();
    }
}
