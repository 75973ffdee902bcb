package org.minitron4j.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Autograd off for the current thread until {@link #close()}, which restores the mode it found:
 * {@code try (NoGrad g = NoGrad.enter()) { ... }} (in Kotlin {@code NoGrad.enter().use { ... }}). libtorch's grad mode
 * is per thread and DJL turns it off only in the thread that started the engine, so code that runs elsewhere (a
 * notebook runs each cell in a new thread) and must not build a graph, or updates weights that require gradients in
 * place, enters this first. With {@link Autograd} (on), the only places the library switches grad mode.
 */
public final class NoGrad implements AutoCloseable {
    private final boolean previous;

    private NoGrad(boolean previous) {
        this.previous = previous;
    }

    /** Switches autograd off for this thread; close the result on the same thread. */
    public static NoGrad enter() {
        NoGrad guard = new NoGrad(JniUtils.isGradMode());
        JniUtils.setGradMode(false);
        return guard;
    }

    /** Restores the grad mode {@link #enter()} found. */
    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
