package org.minitron4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Files that are either complete or absent: written beside their final name and renamed onto it in one step, so a
 * process killed while writing leaves the previous file (or none) instead of a truncated one. Run records, configs and
 * the small files of a saved checkpoint go through here; a reader can then take a file's presence as "done".
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** What writes the content, into the temporary file it is given. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path tmp) throws IOException;
    }

    /** Writes {@code file} through {@code content} into {@code file}.tmp, then renames that onto {@code file}. */
    public static void write(Path file, Content content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        content.writeTo(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
