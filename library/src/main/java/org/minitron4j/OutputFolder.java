package org.minitron4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A folder one run writes into, claimed for the length of the run so that no run silently overwrites or mixes into
 * another's output. Every command and API call that writes a folder claims it first, in one call:
 *
 * <pre>{@code
 * try (OutputFolder out = OutputFolder.claim(dir, OutputFolder.Mode.OVERWRITE)) {
 *     ... write into dir (and below it) ...
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@link Mode#FRESH} refuses a folder that holds anything; {@link Mode#OVERWRITE} first deletes what it holds;
 *       {@link Mode#RESUME} keeps it (the caller continues the run it holds).</li>
 *   <li>A lock file {@value #LOCK_FILE} (pid, host and start time of the writing process) refuses a second writer
 *       while the first runs, in this process or another. A lock whose process is gone (same host, pid dead or reused)
 *       is stale and taken over; one from another host is never guessed stale (the message says which file to delete).
 *       The lock file is deleted on {@link #close}.</li>
 *   <li>Claims nest: a claim of the folder, or of a folder below it, by the thread that holds the enclosing claim
 *       succeeds without checks, because it is the same run writing its own output (a command's {@code --out}, then
 *       {@code Checkpoints.save} or the trainer's checkpoints inside it). So an API caller that wants to overwrite or
 *       resume claims the folder with that mode around the calls that write it.</li>
 * </ul>
 *
 * A refusal is a {@link Refused} (bad input: the CLI exits with code 2) that names the folder, a few of its entries and
 * the ways forward ({@link Mode#RESUME} where the caller supports it, {@link Mode#OVERWRITE}); nothing on disk is
 * changed.
 */
public final class OutputFolder implements AutoCloseable {
    /** The lock file inside a claimed folder; it is never counted as content. */
    public static final String LOCK_FILE = ".minitron4j.lock";
    private static final int LISTED = 4;
    private static final List<OutputFolder> ACTIVE = new CopyOnWriteArrayList<>();

    /** What to do with a folder that already holds files. */
    public enum Mode {
        /** Refuse it. */
        FRESH,
        /** Keep its contents: the run continues the one it holds. */
        RESUME,
        /** Delete its contents first. */
        OVERWRITE
    }

    /**
     * A folder that cannot be claimed: not empty, or being written by another run. {@link #getMessage} names the ways
     * forward as Java does ({@code OutputFolder.Mode.OVERWRITE}); {@link #message} names them as a caller's user asks
     * for them (the CLI: {@code --overwrite}).
     */
    public static final class Refused extends InvalidInputException {
        /** The message, given how each mode is named. */
        private interface Wording {
            String with(Function<Mode, String> modeName);
        }

        private final transient Wording wording;

        private Refused(Wording wording) {
            super(wording.with(mode -> "OutputFolder.Mode." + mode));
            this.wording = wording;
        }

        Refused(String message) {
            this(modeName -> message);
        }

        /** The message with each mode named by {@code modeName}. */
        public String message(Function<Mode, String> modeName) {
            return wording.with(modeName);
        }
    }

    private final Path dir;
    private final Thread owner;
    private final @Nullable String lock; // our lock file's content; null for a nested claim

    private OutputFolder(Path dir, @Nullable String lock) {
        this.dir = dir;
        this.owner = Thread.currentThread();
        this.lock = lock;
    }

    /** {@link #claim(Path, Mode, String)} for a writer that cannot resume (its refusals do not suggest resuming). */
    public static OutputFolder claim(Path dir, Mode mode) {
        return claim(dir, mode, null);
    }

    /**
     * Claims {@code dir} (created if missing) for this run.
     *
     * @param resumeMarker for a writer that can resume, the file its runs leave in the folder (e.g. {@code
     *                     distill_config.json}): a refusal then suggests RESUME, and RESUME refuses a folder
     *                     that holds files but not this one (it is not such a run); null for a writer that cannot
     * @throws Refused if {@code dir} holds files and {@code mode} is FRESH (or RESUME without the marker), or another
     *                 live process or thread holds it
     */
    public static OutputFolder claim(Path dir, Mode mode, @Nullable String resumeMarker) {
        Path abs = dir.toAbsolutePath().normalize();
        for (OutputFolder a : ACTIVE) {
            if (a.owner == Thread.currentThread() && abs.startsWith(a.dir)) {
                return new OutputFolder(abs, null); // the same run, writing its own output
            }
        }
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new Refused(dir + " is a file, not a folder; choose another output folder");
        }
        // Refuse before touching anything, so that a refused run leaves the folder as it was.
        Optional<Holder> holder = Holder.read(abs);
        if (holder.isPresent() && holder.get().alive()) {
            throw inUse(dir, holder.get());
        }
        if (mode == Mode.FRESH) {
            checkEmpty(dir, abs, resumeMarker);
        }
        if (mode == Mode.RESUME && resumeMarker != null && !Files.exists(abs.resolve(resumeMarker))) {
            List<Path> entries = contents(abs);
            if (!entries.isEmpty()) {
                String held = listing(entries);
                throw new Refused(modeName -> modeName.apply(Mode.RESUME) + ": " + dir + " holds no " + resumeMarker
                        + ", so it is not a run to resume (it holds " + held + "); pass "
                        + modeName.apply(Mode.OVERWRITE) + " to delete its contents first, or choose another folder");
            }
        }
        if (mode == Mode.OVERWRITE) {
            checkClearable(dir, abs);
        }
        String content = lock(dir, abs);
        OutputFolder claim = new OutputFolder(abs, content);
        try {
            if (mode == Mode.FRESH) {
                checkEmpty(dir, abs, resumeMarker); // another run may have written between the check and the lock
            } else if (mode == Mode.OVERWRITE) {
                clear(abs);
            }
        } catch (RuntimeException e) {
            claim.close();
            throw e;
        }
        ACTIVE.add(claim);
        return claim;
    }

    /** The claimed folder (absolute). */
    public Path dir() {
        return dir;
    }

    /** Releases the claim: deletes the lock file if it is still this claim's. */
    @Override
    public void close() {
        ACTIVE.remove(this);
        if (lock == null) {
            return;
        }
        Path file = dir.resolve(LOCK_FILE);
        try {
            if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).equals(lock)) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("releasing the lock " + file + ": " + e.getMessage(), e);
        }
    }

    // ---- lock -----------------------------------------------------------------------------------------------------

    /** Who holds a lock: the content of {@value #LOCK_FILE}. */
    private record Holder(long pid, String host, String started, String text) {
        static Optional<Holder> read(Path dir) {
            try {
                return Optional.of(parse(Files.readString(dir.resolve(LOCK_FILE), StandardCharsets.UTF_8)));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + dir.resolve(LOCK_FILE) + ": " + e.getMessage(), e);
            }
        }

        static Holder parse(String text) {
            long pid = -1;
            String host = "", started = "";
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                String key = eq < 0 ? line : line.substring(0, eq), value = eq < 0 ? "" : line.substring(eq + 1);
                switch (key) {
                    case "pid" -> pid = parsePid(value);
                    case "host" -> host = value;
                    case "started" -> started = value;
                    default -> { }
                }
            }
            return new Holder(pid, host, started, text);
        }

        private static long parsePid(String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** Whether the holder may still be running: on another host, or its process (same start time) is alive here. */
        boolean alive() {
            if (!host.equals(HOST)) {
                return true;
            }
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .map(p -> started.isEmpty() || p.info().startInstant().map(Instant::toString).orElse(started).equals(started))
                    .orElse(false);
        }

        String describe() {
            return "pid " + pid + " on host " + host + (started.isEmpty() ? "" : ", started " + started);
        }
    }

    private static final String HOST = hostName();

    /** This machine's name, as lock files record it (a sweep's {@code ran_on} column names it too). */
    public static String host() {
        return HOST;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /**
     * Creates the lock file atomically (a complete temporary file hard-linked to its name, which fails if the name
     * exists); a stale lock is first moved aside, and put back if it turns out to have been replaced meanwhile.
     */
    private static String lock(Path dir, Path abs) {
        ProcessHandle self = ProcessHandle.current();
        String content = "pid=" + self.pid() + "\nhost=" + HOST + "\nstarted="
                + self.info().startInstant().map(Instant::toString).orElse("") + "\nclaim="
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "\n";
        Path file = abs.resolve(LOCK_FILE);
        try {
            Files.createDirectories(abs);
            Path tmp = abs.resolve(LOCK_FILE + "." + self.pid() + "." + Long.toHexString(System.nanoTime()));
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                for (int attempt = 0; attempt < 5; attempt++) {
                    try {
                        Files.createLink(file, tmp);
                        return content;
                    } catch (FileAlreadyExistsException e) {
                        Optional<Holder> h = Holder.read(abs);
                        if (h.isPresent() && h.get().alive()) {
                            throw inUse(dir, h.get());
                        }
                        h.ifPresent(stale -> takeOver(file, stale));
                    }
                }
                throw new Refused(dir + ": could not take the lock " + file + " (other runs keep taking it); try again");
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("locking " + file + ": " + e.getMessage(), e);
        }
    }

    private static void takeOver(Path file, Holder stale) {
        Path aside = file.resolveSibling(LOCK_FILE + ".stale." + ProcessHandle.current().pid() + "." + System.nanoTime());
        try {
            Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            if (!Files.readString(aside, StandardCharsets.UTF_8).equals(stale.text())) {
                Files.createLink(file, aside); // a live lock taken meanwhile: give it back
            }
            Files.delete(aside);
        } catch (NoSuchFileException | FileAlreadyExistsException e) {
            // another run moved or replaced it first; the caller retries
        } catch (IOException e) {
            throw new UncheckedIOException("taking over the stale lock " + file + ": " + e.getMessage(), e);
        }
    }

    private static Refused inUse(Path dir, Holder h) {
        String remedy = h.host.equals(HOST) ? "wait for it to finish or choose another folder"
                : "if that run is over, delete " + dir.resolve(LOCK_FILE) + "; otherwise wait or choose another folder";
        return new Refused(dir + " is being written by another run (" + h.describe() + "); " + remedy);
    }

    // ---- contents -------------------------------------------------------------------------------------------------

    private static List<Path> contents(Path abs) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(abs)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(abs)) {
            for (Path p : entries) {
                if (!p.getFileName().toString().startsWith(LOCK_FILE)) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + abs + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return out;
    }

    private static void checkEmpty(Path dir, Path abs, @Nullable String resumeMarker) {
        List<Path> entries = contents(abs);
        if (!entries.isEmpty()) {
            String held = listing(entries);
            throw new Refused(modeName -> dir + " is not empty and was not written by this run (it holds "
                    + held + "); " + (resumeMarker != null ? "pass " + modeName.apply(Mode.RESUME)
                    + " to continue the run it holds, or " : "choose another folder, or pass ")
                    + modeName.apply(Mode.OVERWRITE) + " to delete its contents first");
        }
    }

    /** The first few entries ("config.json, checkpoints/, ... and 3 more"). */
    private static String listing(List<Path> entries) {
        List<String> names = new ArrayList<>();
        for (Path p : entries.subList(0, Math.min(LISTED, entries.size()))) {
            names.add(p.getFileName() + (Files.isDirectory(p) ? "/" : ""));
        }
        return String.join(", ", names) + (entries.size() > LISTED ? " and " + (entries.size() - LISTED) + " more" : "");
    }

    /** Folders whose contents are never deleted wholesale: the working directory, the home folder and their parents. */
    private static void checkClearable(Path dir, Path abs) {
        for (String p : List.of(System.getProperty("user.dir"), System.getProperty("user.home"))) {
            if (p != null && Path.of(p).toAbsolutePath().normalize().startsWith(abs)) {
                throw new Refused(modeName -> modeName.apply(Mode.OVERWRITE) + " would delete everything in " + dir
                        + ", which holds " + p + "; choose a dedicated output folder");
            }
        }
    }

    private static void clear(Path abs) {
        for (Path p : contents(abs)) {
            try (Stream<Path> walk = Files.walk(p)) {
                for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                    Files.delete(q);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("clearing " + abs + ": cannot delete " + p + ": " + e.getMessage(), e);
            }
        }
    }
}
