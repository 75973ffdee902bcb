package org.minitron4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * PyTorch's thread settings, made before the engine starts (the command line and the notebook integration call {@link
 * #configure} first), and a check for a machine that other processes keep busy.
 *
 * <p>Intra-op threads: {@code MINITRON4J_THREADS} when set, else {@code -Dai.djl.pytorch.num_threads} when given, else
 * one per core; one inter-op thread. The count is not lowered when the machine is busy: matrix products may add in a
 * different order with another thread count, and a run is meant to give the same bits wherever it is repeated (run
 * records replay with the recorded count). What keeps two jobs on one machine from slowing each other down far more
 * than their share of the cores is a short wait of OpenMP's idle threads ({@code GOMP_SPINCOUNT=5000}: an idle PyTorch
 * thread spins long enough to bridge the gap between two operations, then sleeps instead of spinning on a core another
 * job needs; OpenMP's default spins 60 times longer, and passive waiting, which never spins, makes a run on a quiet
 * machine with fast matrix products take about 20% longer), which the {@code ./minitron4j} launcher, the notebook kernel
 * and Spark executors set before libtorch loads; it has to be in the environment of the process, so Java code cannot
 * set it.
 */
public final class EngineThreads {
    /** The environment variable that sets PyTorch's intra-op thread count. */
    public static final String ENV = "MINITRON4J_THREADS";
    private static final String THREADS = "ai.djl.pytorch.num_threads", INTEROP = "ai.djl.pytorch.num_interop_threads";
    /** libtorch's OpenMP (libgomp) setting for how long an idle thread spins before it sleeps, and the value we set. */
    public static final String SPIN_ENV = "GOMP_SPINCOUNT", SPIN_COUNT = "5000";

    private EngineThreads() {
    }

    /**
     * Sets the thread properties that are not set yet (before the first tensor operation; later calls change nothing
     * the engine already read), and {@link NativeMemory}'s malloc settings.
     *
     * @return whether the intra-op count was chosen here (neither the environment variable nor the property gave it)
     * @throws InvalidInputException if {@code MINITRON4J_THREADS} is not a positive integer
     */
    public static boolean configure() {
        NativeMemory.configure();
        boolean chosen = false;
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            System.setProperty(THREADS, String.valueOf(parse(env)));
        } else if (System.getProperty(THREADS) == null) {
            System.setProperty(THREADS, String.valueOf(Runtime.getRuntime().availableProcessors()));
            chosen = true;
        }
        if (System.getProperty(INTEROP) == null) {
            System.setProperty(INTEROP, "1");
        }
        return chosen;
    }

    static int parse(String value) {
        try {
            int n = Integer.parseInt(value.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidInputException(ENV + "='" + value + "': expected a number of threads of at least 1");
    }

    /**
     * A one-line warning when other processes kept more than half a core busy during a short sample (100 ms of
     * /proc/stat, this process's own time taken out), with advice when OpenMP's idle threads spin long (neither
     * {@code GOMP_SPINCOUNT} nor passive waiting set); empty on a quiet machine, or where /proc cannot be read.
     */
    public static Optional<String> sharingWarning() {
        double others = busyCoresOfOtherProcesses(100);
        String policy = System.getenv("OMP_WAIT_POLICY");
        boolean waitsBriefly = (policy != null && policy.strip().equalsIgnoreCase("passive")) || System.getenv(SPIN_ENV) != null;
        if (!(others > 0.5)) {
            return Optional.empty();
        }
        int cores = Runtime.getRuntime().availableProcessors();
        return Optional.of(String.format(Locale.ROOT, "minitron4j: other processes keep %.1f of the %d cores busy, so this"
                + " run gets its share of the machine and takes longer%s (PyTorch threads: %s; %s sets them)", others, cores,
                waitsBriefly ? "" : "; " + SPIN_ENV + "=" + SPIN_COUNT + " (set by ./minitron4j and the notebook kernel) avoids"
                        + " much worse",
                System.getProperty(THREADS, String.valueOf(cores)), ENV));
    }

    /** Cores' worth of CPU time used by other processes over {@code millis} (NaN where /proc is missing). */
    static double busyCoresOfOtherProcesses(long millis) {
        try {
            long[] a = cpuTicks();
            long selfA = ownTicks();
            long start = System.nanoTime();
            Thread.sleep(millis);
            long[] b = cpuTicks();
            long selfB = ownTicks();
            double seconds = (System.nanoTime() - start) / 1e9;
            double hz = 100; // USER_HZ: 100 on every Linux kernel configuration in use
            double busy = (b[0] - a[0]) / hz, own = (selfB - selfA) / hz;
            return Math.max(0, (busy - own) / seconds);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** Busy ticks of all CPUs together (user + nice + system + irq + softirq + steal), from the first line of /proc/stat. */
    private static long[] cpuTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i : List.of(1, 2, 3, 6, 7, 8)) {
            busy += Long.parseLong(f[i]);
        }
        return new long[] {busy};
    }

    /** This process's utime + stime ticks (fields 14 and 15 of /proc/self/stat, counted after the command's parenthesis). */
    private static long ownTicks() throws IOException {
        String s = Files.readString(Path.of("/proc/self/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
