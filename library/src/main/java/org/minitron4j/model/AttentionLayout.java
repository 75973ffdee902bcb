package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.jspecify.annotations.Nullable;

/**
 * Where the T query tokens of a forward pass sit: their positions (rotary or learned) and the keys each may see. Plain
 * sequences continue a KV cache of {@code past} positions under a causal mask; {@link PackedRows} give every token its
 * own position and a mask per row.
 *
 * @param mask      additive mask broadcastable to the scores [B, kv, g, T, T_keys]: (T, past+T) causal, or
 *                  (B, 1, 1, T, T) for packed rows; null for a single plain token
 * @param past      positions already in the KV cache (plain sequences)
 * @param positions each token's position [B, T] (int64) for packed rows; null for plain sequences (past..past+T-1)
 * @param length    positions the pass needs (the largest plus one)
 */
record AttentionLayout(@Nullable NDArray mask, long past, @Nullable NDArray positions, long length)
        implements AutoCloseable {

    /** Plain sequences of {@code t} tokens after {@code past} cached ones, or packed rows when {@code packing} is given. */
    static AttentionLayout of(NDManager scope, long t, long past, @Nullable PackedRows packing) {
        if (packing == null) {
            return new AttentionLayout(causalMask(scope, t, past), past, null, past + t);
        }
        int b = packing.positions().length;
        if (b > 0 && packing.positions()[0].length != t) {
            throw new IllegalArgumentException("packed rows of " + packing.positions()[0].length + " tokens for input of " + t);
        }
        NDArray mask = scope.create(packing.additiveMask(), new Shape(b, 1, 1, t, t));
        NDArray positions = scope.create(packing.positions()).toType(DataType.INT64, false);
        return new AttentionLayout(mask, 0, positions, packing.positionsNeeded());
    }

    /** Additive causal mask: query i (absolute position past+i) sees keys 0..past+i; null for a single token. */
    private static @Nullable NDArray causalMask(NDManager scope, long t, long past) {
        if (t == 1) {
            return null;
        }
        NDArray rows = scope.arange(past, past + t, 1, DataType.INT64).reshape(t, 1);
        NDArray cols = scope.arange(0, past + t, 1, DataType.INT64).reshape(1, past + t);
        return cols.gt(rows).toType(DataType.FLOAT32, false).mul(-1e9f);
    }

    @Override
    public void close() {
        if (mask != null) {
            mask.close();
        }
        if (positions != null) {
            positions.close();
        }
    }
}
