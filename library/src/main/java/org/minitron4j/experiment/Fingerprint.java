package org.minitron4j.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.minitron4j.InvalidInputException;

/**
 * The SHA-256 of a file, or of a folder's regular files (their relative names and contents, in name order), with
 * sizes: what a run record keeps of its inputs and outputs to tell whether a replay saw the same data.
 *
 * @param role   the command-line option that named it ("--data"), or "output"
 * @param path   the path as given
 * @param sha256 hex digest
 * @param bytes  total bytes hashed
 * @param files  number of files hashed (1 for a file)
 */
public record Fingerprint(String role, String path, String sha256, long bytes, int files) {

    /** Hashes {@code path} (a file or a folder); a missing path is bad input naming {@code role}. */
    public static Fingerprint of(String role, Path path) {
        if (!Files.exists(path)) {
            throw new InvalidInputException(role + " " + path + ": not found");
        }
        MessageDigest md = newDigest();
        long bytes = 0;
        int files = 0;
        try {
            if (Files.isDirectory(path)) {
                List<Path> all;
                try (Stream<Path> walk = Files.walk(path)) {
                    all = walk.filter(Files::isRegularFile).sorted().toList();
                }
                for (Path f : all) {
                    md.update(path.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                    md.update((byte) 0);
                    bytes += digest(md, f);
                    files++;
                }
            } else {
                bytes = digest(md, path);
                files = 1;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("hashing " + path + ": " + e.getMessage(), e);
        }
        return new Fingerprint(role, path.toString(), HexFormat.of().formatHex(md.digest()), bytes, files);
    }

    /** The SHA-256 of {@code content}, e.g. a result table with its timing columns removed, as found at {@code path}. */
    public static Fingerprint ofContent(String role, String path, byte[] content) {
        MessageDigest md = newDigest();
        md.update(content);
        return new Fingerprint(role, path, HexFormat.of().formatHex(md.digest()), content.length, 1);
    }

    /** Whether {@code other} has the same content (digest, size and file count); paths and roles may differ. */
    public boolean sameContent(Fingerprint other) {
        return sha256.equals(other.sha256) && bytes == other.bytes && files == other.files;
    }

    private static long digest(MessageDigest md, Path file) throws IOException {
        byte[] buf = new byte[1 << 20];
        long n = 0;
        try (InputStream in = Files.newInputStream(file)) {
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
                n += r;
            }
        }
        return n;
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
