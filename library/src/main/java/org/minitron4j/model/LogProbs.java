package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Next-token log-probabilities: the shared kernel of LM loss, multiple-choice scoring and the CLM training loss. */
public final class LogProbs {
    private LogProbs() {
    }

    /** log p(target) for logits [..., V] and targets [...] → [...] (natural log), e.g. [B, T, V] or [N, V]. */
    public static NDArray ofTargets(NDArray logits, NDArray targets) {
        NDArray idx = targets.getDataType() == DataType.INT64 ? targets : targets.toType(DataType.INT64, false);
        int v = logits.getShape().dimension() - 1;
        return logits.logSoftmax(v).gather(idx.expandDims(v), v).squeeze(v);
    }
}
