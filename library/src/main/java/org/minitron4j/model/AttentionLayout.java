package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * @param outputs   the only tokens whose final hidden states are wanted, or null for all
 */
record AttentionLayout(@Nullable NDArray mask, long past, @Nullable NDArray positions, long length,
                       @Nullable Outputs outputs) implements AutoCloseable {

    /**
     * The Q tokens of each row whose outputs are wanted: the last layer computes its queries, attention output and MLP
     * for these alone (its keys and values still come from every token).
     *
     * @param rows      their flat indices r·T + column into the pass's [B·T] tokens (int64, B·Q)
     * @param positions their positions [B, Q] (int64)
     * @param mask      their rows of the additive mask, [B, 1, 1, Q, T]
     */
    record Outputs(NDArray rows, NDArray positions, NDArray mask) {
        /** The wanted tokens' rows of x [B, T, …] → [B, Q, …]. */
        NDArray select(NDArray x) {
            Shape s = x.getShape();
            long b = positions.getShape().get(0), q = positions.getShape().get(1);
            return x.reshape(new Shape(s.get(0) * s.get(1)).addAll(s.slice(2))).get(new NDIndex("{}", rows))
                    .reshape(new Shape(b, q).addAll(s.slice(2)));
        }

        void close() {
            rows.close();
            positions.close();
            mask.close();
        }
    }

    /**
     * Plain sequences of {@code t} tokens after {@code past} cached ones, or packed rows when {@code packing} is given;
     * {@code outputs} (columns [B][Q] of each row, or null for all) restricts the last layer to those tokens.
     */
    static AttentionLayout of(NDManager scope, long t, long past, @Nullable PackedRows packing, int @Nullable [][] outputs) {
        if (packing == null) {
            NDArray mask = causalMask(scope, t, past); // with outputs, past is 0: Forward.Options refuses a cache then
            return new AttentionLayout(mask, past, null, past + t, outputs == null ? null : outputs(scope, outputs, t, null, mask));
        }
        int b = packing.positions().length;
        if (b > 0 && packing.positions()[0].length != t) {
            throw new IllegalArgumentException("packed rows of " + packing.positions()[0].length + " tokens for input of " + t);
        }
        NDArray mask = scope.create(packing.additiveMask(), new Shape(b, 1, 1, t, t));
        NDArray positions = scope.create(packing.positions()).toType(DataType.INT64, false);
        return new AttentionLayout(mask, 0, positions, packing.positionsNeeded(),
                outputs == null ? null : outputs(scope, outputs, t, positions, mask));
    }

    /** The layout's {@link Outputs} for columns [B][Q] of rows of {@code t} tokens. */
    private static Outputs outputs(NDManager scope, int[][] columns, long t, @Nullable NDArray positions,
                                   @Nullable NDArray mask) {
        int b = columns.length, q = b == 0 ? 0 : columns[0].length;
        long[] rows = new long[b * q];
        for (int r = 0; r < b; r++) {
            if (columns[r].length != q) {
                throw new IllegalArgumentException("output columns: row 0 has " + q + ", row " + r + " " + columns[r].length);
            }
            for (int k = 0; k < q; k++) {
                if (columns[r][k] < 0 || columns[r][k] >= t) {
                    throw new IllegalArgumentException("output column " + columns[r][k] + " outside a row of " + t + " tokens");
                }
                rows[r * q + k] = (long) r * t + columns[r][k];
            }
        }
        NDArray flat = scope.create(rows);
        NDArray cols = scope.create(columns).toType(DataType.INT64, false); // (B, Q)
        // plain sequences: a token's position is its column, and its mask row is the causal mask's row there
        NDArray pos = positions == null ? cols : positions.flatten().get(new NDIndex("{}", flat)).reshape(b, q);
        NDArray rowsOfMask = mask == null ? scope.zeros(new Shape(b * q, t))
                : positions == null ? mask.get(new NDIndex("{}", cols.flatten()))
                : mask.reshape(b * t, t).get(new NDIndex("{}", flat));
        if (pos != cols) {
            cols.close();
        }
        return new Outputs(flat, pos, rowsOfMask.reshape(b, 1, 1, q, t));
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

    /**
     * The layout of the wanted outputs' queries (their positions and mask rows); this layout when all are wanted. It
     * shares this layout's arrays: close this one, not it.
     */
    AttentionLayout ofOutputs() {
        return outputs == null ? this : new AttentionLayout(outputs.mask(), 0, outputs.positions(), length, null);
    }

    @Override
    public void close() {
        if (mask != null) {
            mask.close();
        }
        if (positions != null) {
            positions.close();
        }
        if (outputs != null) {
            outputs.close();
        }
    }
}
