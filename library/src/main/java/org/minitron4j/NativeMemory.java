package org.minitron4j;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.jspecify.annotations.Nullable;

/**
 * glibc's malloc settings for libtorch's temporaries, made once per process ({@link EngineThreads#configure} calls it).
 *
 * <p>A forward pass allocates and frees tensors of a few MB to a few tens of MB per operation. With glibc's default
 * (a threshold that adapts, and the top of a heap handed back to the kernel past 128 KB), many of them are mapped
 * afresh and their pages faulted in again at every operation: scoring Winogrande with the bundled teacher's shape took
 * 1.3 million page faults and 4.9 s, against 0.23 million and 4.2–4.4 s with the settings here (bench (c), 2-core
 * Xeon). Blocks up to {@link #MMAP_THRESHOLD} come from the heap, and up to {@link #TRIM_THRESHOLD} of freed heap stays
 * with the process for the next operation; larger tensors (weights, checkpoints) are mapped and unmapped as before.
 * Results do not change. Where glibc is not the C library, or {@code GLIBC_TUNABLES} already sets a malloc tunable
 * (the user's own choice), nothing is set.
 */
public final class NativeMemory {
    /** Blocks up to this size come from the heap (glibc's largest allowed threshold on 64-bit). */
    public static final int MMAP_THRESHOLD = 32 << 20;
    /** Freed memory at the top of a heap kept for reuse before it is returned to the kernel. */
    public static final int TRIM_THRESHOLD = 256 << 20;
    private static final int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3; // malloc.h

    private static @Nullable Boolean applied;

    private NativeMemory() {
    }

    /** glibc's mallopt. */
    private interface LibC extends Library {
        int mallopt(int param, int value);
    }

    /**
     * Sets the thresholds (once; later calls return the first answer).
     *
     * @return whether they were set: false off Linux/glibc or when {@code GLIBC_TUNABLES} has malloc settings of its own
     */
    public static synchronized boolean configure() {
        if (applied == null) {
            applied = apply();
        }
        return applied;
    }

    /** Whether to set the thresholds: on Linux, unless {@code GLIBC_TUNABLES} has malloc settings of the user's own. */
    static boolean wanted(boolean linux, @Nullable String tunables) {
        return linux && (tunables == null || !tunables.contains("glibc.malloc."));
    }

    private static boolean apply() {
        if (!wanted(Platform.isLinux(), System.getenv("GLIBC_TUNABLES"))) {
            return false;
        }
        try {
            LibC c = Native.load("c", LibC.class);
            // mallopt answers 1 when it took the value; a C library without these parameters (musl) answers 0
            return c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 && c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }
}
