package org.minitron4j.model;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;

/**
 * How much memory a pass may use, and whether a checkpoint is loaded for it or streamed one layer at a time
 * ({@link Checkpoints#open}). The default is the memory the machine has available now.
 *
 * @param bytes       the budget
 * @param forceStream stream even when the model would fit
 */
public record MemoryBudget(long bytes, boolean forceStream) {
    public MemoryBudget {
        if (bytes < 1) {
            throw new InvalidInputException("the memory budget must be positive, got " + bytes + " bytes");
        }
    }

    /** The memory available now, loading what fits. */
    public static MemoryBudget available() {
        return new MemoryBudget(availableBytes(), false);
    }

    public static MemoryBudget of(long bytes) {
        return new MemoryBudget(bytes, false);
    }

    public MemoryBudget streaming() {
        return new MemoryBudget(bytes, true);
    }

    /**
     * The JVM, libtorch, MKL and the allocators' caches, beside the weights and activations a pass accounts for:
     * counted in every budget (about 0.6 GB resident during a streamed pass over an 8B model; 1 GiB leaves a margin).
     */
    public static final long RUNTIME_BYTES = 1L << 30;

    /**
     * Whether {@code weightBytes} of f32 weights should be streamed: asked for, or with the runtime more than 80% of the
     * budget (the rest is for activations and the page cache).
     */
    public boolean streams(long weightBytes) {
        return forceStream || RUNTIME_BYTES + weightBytes > bytes / 10 * 8;
    }

    /** MemAvailable of /proc/meminfo where there is one, else the JVM's view of free physical memory. */
    static long availableBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return Math.max(1, sun.getFreeMemorySize());
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** "31.7 GB" (powers of 1000, as checkpoint sizes are quoted). */
    public static String format(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    @Override
    public String toString() {
        return format(bytes) + (forceStream ? ", streaming" : "");
    }
}
