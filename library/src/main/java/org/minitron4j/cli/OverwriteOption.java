package org.minitron4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import picocli.CommandLine.Option;

/**
 * {@code --overwrite} of every command that writes a folder, and the claim of that folder for the command's run. A new
 * command that writes a folder adds {@code @Mixin OverwriteOption overwrite;} and writes inside
 * {@code try (OutputFolder claim = overwrite.claim(out)) { ... }}, before anything else touches the folder.
 */
final class OverwriteOption {
    @Option(names = "--overwrite", description = "Delete what the output folder holds first (without it, a non-empty "
            + "output folder is refused).")
    boolean overwrite;

    /** Claims {@code out} for a command that cannot resume. */
    OutputFolder claim(Path out) {
        return OutputFolder.claim(out, mode());
    }

    /** The claim mode of a command that cannot resume, for API calls that claim their folder themselves. */
    OutputFolder.Mode mode() {
        return mode(overwrite);
    }

    /** The claim mode of a command that cannot resume: OVERWRITE when {@code --overwrite} was given, else FRESH. */
    static OutputFolder.Mode mode(boolean overwrite) {
        return overwrite ? OutputFolder.Mode.OVERWRITE : OutputFolder.Mode.FRESH;
    }

    /** Claims {@code out} for a command with {@code --resume}, whose runs leave {@code marker} in their folder. */
    OutputFolder claim(Path out, boolean resume, String marker) {
        if (resume && overwrite) {
            throw new InvalidInputException("give --resume or --overwrite, not both");
        }
        return OutputFolder.claim(out, resume ? OutputFolder.Mode.RESUME : mode(), marker);
    }

    /** The flag that asks for {@code mode} ({@code --overwrite}), as a refused claim's message names it. */
    static String flag(OutputFolder.Mode mode) {
        return "--" + mode.name().toLowerCase(Locale.ROOT);
    }
}
