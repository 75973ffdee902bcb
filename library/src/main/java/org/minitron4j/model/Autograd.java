package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Autograd on for the current thread while a loss is computed and back-propagated, the counterpart of {@link NoGrad}:
 * {@code try (Autograd g = Autograd.enter()) { loss = …; g.backward(loss); }}. It does what DJL's {@code
 * GradientCollector} does for a backward pass (libtorch's grad mode on, then backward with a gradient of ones), but
 * per thread: DJL's collector allows one at a time in a JVM, which would keep a sweep from training two arms side by
 * side. Gradients accumulate into the arrays that require them; the caller zeroes them between steps.
 */
public final class Autograd implements AutoCloseable {
    private final boolean previous;

    private Autograd(boolean previous) {
        this.previous = previous;
    }

    /** Switches autograd on for this thread; close the result on the same thread. */
    public static Autograd enter() {
        Autograd scope = new Autograd(JniUtils.isGradMode());
        JniUtils.setGradMode(true);
        return scope;
    }

    /** Back-propagates {@code loss} (any shape; each element's gradient is 1), freeing its graph. */
    public void backward(NDArray loss) {
        try (NDArray ones = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
        }
    }

    /** Restores the grad mode {@link #enter()} found. */
    @Override
    public void close() {
        JniUtils.setGradMode(previous);
    }
}
