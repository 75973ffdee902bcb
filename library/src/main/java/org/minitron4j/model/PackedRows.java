package org.minitron4j.model;

import java.util.Arrays;

/**
 * Rows of a batch that each hold several sequences sharing a prefix, computed once: the prefix, then each sequence's
 * remaining tokens as a branch of its own. For every token of a row [B][T]: its position in its own sequence, and its
 * branch (0 = the shared prefix, 1, 2, … = a branch, -1 = padding). A token attends to the earlier tokens of the prefix
 * and of its own branch, so each branch's outputs are those of its whole sequence run alone (up to rounding).
 */
public record PackedRows(int[][] positions, int[][] branches) {
    public PackedRows {
        if (positions.length != branches.length) {
            throw new IllegalArgumentException("positions for " + positions.length + " rows, branches for " + branches.length);
        }
        for (int r = 0; r < positions.length; r++) {
            if (positions[r].length != branches[r].length) {
                throw new IllegalArgumentException("row " + r + ": " + positions[r].length + " positions, "
                        + branches[r].length + " branches");
            }
        }
    }

    /** The largest position of any token plus one: the positions the model needs (learned or rotary). */
    public int positionsNeeded() {
        int max = -1;
        for (int[] row : positions) {
            for (int p : row) {
                max = Math.max(max, p);
            }
        }
        return max + 1;
    }

    /**
     * The additive attention mask [B, T, T] as a flat array: 0 where query i may see key j (j ≤ i, and j in the prefix
     * or in i's branch), -1e9 elsewhere (the value of the plain causal mask). Padding sees only itself.
     */
    float[] additiveMask() {
        int b = branches.length, t = b == 0 ? 0 : branches[0].length;
        float[] mask = new float[b * t * t];
        Arrays.fill(mask, -1e9f);
        for (int r = 0; r < b; r++) {
            int[] br = branches[r];
            for (int i = 0; i < t; i++) {
                int base = (r * t + i) * t;
                if (br[i] < 0) {
                    mask[base + i] = 0;
                    continue;
                }
                for (int j = 0; j <= i; j++) {
                    if (br[j] == 0 || br[j] == br[i]) {
                        mask[base + j] = 0;
                    }
                }
            }
        }
        return mask;
    }
}
