package org.minitron4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.minitron4j.experiment.Fingerprint;

/** What a folder holds, for tests that a run left it untouched or holding only its own files. */
public final class Folders {
    private Folders() {
    }

    /** SHA-256 of every file under {@code dir} by relative path: equal maps mean a byte-identical folder. */
    public static Map<String, String> hashes(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                out.put(dir.relativize(p).toString(), Fingerprint.of("file", p).sha256());
            }
        }
        return out;
    }
}
