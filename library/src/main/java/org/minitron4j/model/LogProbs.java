package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Next-token log-probabilities: the shared kernel of LM loss, multiple-choice scoring and the CLM training loss. */
public final class LogProbs {
    private LogProbs() {
    }

    /** log p(target) for logits [B, T, V] and targets [B, T] → [B, T] (natural log). */
    public static NDArray ofTargets(NDArray logits, NDArray targets) {
        NDArray idx = targets.getDataType() == DataType.INT64 ? targets : targets.toType(DataType.INT64, false);
        return logits.logSoftmax(2).gather(idx.expandDims(2), 2).squeeze(2);
    }
}
