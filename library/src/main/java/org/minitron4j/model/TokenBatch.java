package org.minitron4j.model;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** One batch of a {@link Transformer#passBatches pass}: token ids [B][T], and their packing when rows share prefixes. */
public record TokenBatch(int[][] ids, @Nullable PackedRows packing) {

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
