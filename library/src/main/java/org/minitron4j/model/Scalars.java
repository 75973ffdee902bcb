package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Constants for arithmetic that autograd records. DJL's {@code x.mul(2f)} wraps the number in a tensor over a Java
 * direct buffer and closes it right after the op, but autograd keeps that tensor for the backward pass (the gradient
 * of {@code x·c} is {@code g·c}), which then reads memory the JVM may already have freed and reused. Seen here: in 2 of
 * 14 identical training runs one step's gradient norm was 3.6e30 or 8.7e3 instead of 0.31. {@code Scalars.of(x, c)}
 * makes the constant in libtorch's own reference-counted memory, in {@code x}'s manager, so it lives as long as the
 * graph needs it. Use it for every scalar multiplied, divided or raised on a path that gradients flow through.
 */
public final class Scalars {
    private Scalars() {
    }

    /** A 0-d tensor holding {@code value}, of {@code like}'s data type, device and manager. */
    public static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }
}
