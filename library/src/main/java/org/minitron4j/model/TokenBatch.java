package org.minitron4j.model;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One batch of a {@link Transformer#passBatches pass}: token ids [B][T], their packing when rows share prefixes, and the
 * columns [B][Q] of each row whose final hidden states are wanted when not all are ({@link Forward.Options#withOutputsAt}).
 */
public record TokenBatch(int[][] ids, @Nullable PackedRows packing, int @Nullable [][] outputs) {

    /** A batch whose every token's output is wanted. */
    public TokenBatch(int[][] ids, @Nullable PackedRows packing) {
        this(ids, packing, null);
    }

    /** Batches of plain sequences (one sequence per row, positions 0..T-1, causal attention). */
    public static List<TokenBatch> plain(List<int[][]> batches) {
        List<TokenBatch> out = new ArrayList<>(batches.size());
        for (int[][] ids : batches) {
            out.add(new TokenBatch(ids, null));
        }
        return out;
    }

    /** Tokens of the batch (rows × row length). */
    public long tokens() {
        return ids.length == 0 ? 0 : (long) ids.length * ids[0].length;
    }

    /** Row length. */
    public int length() {
        return ids.length == 0 ? 0 : ids[0].length;
    }
}
