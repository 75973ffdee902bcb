package org.minitron4j.model;

import ai.djl.ndarray.NDArray;

/**
 * Where a forward pass finds its tensors by canonical name ({@link WeightNames}): a loaded {@link Model}, or the one
 * layer a {@link StreamedModel} holds at a time.
 */
interface Weights {
    /** The tensor, or an exception naming the one that is not there. */
    NDArray weight(String name);
}
