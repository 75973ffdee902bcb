package org.minitron4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.minitron4j.InvalidInputException;

/**
 * Cuts a token stream into windows: the exact evaluation tiling, seeded random or sequential training windows, and
 * right-padding into a rectangular batch.
 */
public final class Batches {
    private Batches() {}

    /** A window to score: its tokens, of which the last {@code predicted} are targets (each predicted from all before). */
    public record Window(int[] tokens, int predicted) {}

    /** A right-padded batch: {@code ids[i]} holds row i, of which the first {@code lengths[i]} entries are real. */
    public record Packed(int[][] ids, int[] lengths) {}

    /**
     * The evaluation tiling. Windows start at s = 0, L, 2L, ... while s &lt; N-1; a window is t[s .. min(s+L, N-1)]
     * inclusive (length at most L+1), its inputs all but its last token and its targets all but its first. Every token
     * but t[0] is predicted exactly once; consecutive windows overlap by one token; N &lt;= 1 gives no windows.
     */
    public static List<int[]> evalWindows(int[] tokens, int seqLen) {
        checkSeqLen(seqLen);
        int n = tokens.length;
        List<int[]> out = new ArrayList<>();
        for (long s = 0; s < n - 1; s += seqLen) {
            int end = (int) Math.min(s + seqLen, n - 1);
            out.add(Arrays.copyOfRange(tokens, (int) s, end + 1));
        }
        return out;
    }

    /**
     * lm-evaluation-harness's rolling windows ({@code get_rolling_token_windows} with context length 1, then
     * {@code make_disjoint_window}) over one document whose first token plays the harness's prefix token (BOS): the
     * windows of {@link #evalWindows}, each predicting all its tokens but the first, except that a last window shorter
     * than seqLen+1 is extended to the left to seqLen+1 tokens (or to the document's start) and predicts only the
     * tokens it did before. Every token but t[0] is predicted exactly once; the targets are those of evalWindows, the
     * context of the last few can be longer.
     */
    public static List<Window> rollingWindows(int[] tokens, int seqLen) {
        List<int[]> tiles = evalWindows(tokens, seqLen);
        List<Window> out = new ArrayList<>(tiles.size());
        for (int[] t : tiles) {
            out.add(new Window(t, t.length - 1));
        }
        int last = tiles.size() - 1;
        if (last > 0 && tiles.get(last).length < seqLen + 1) {
            int end = tokens.length; // the last window always ends at the last token
            out.set(last, new Window(Arrays.copyOfRange(tokens, Math.max(0, end - seqLen - 1), end),
                    tiles.get(last).length - 1));
        }
        return out;
    }

    /**
     * {@code count} windows of length seqLen+1 at uniformly random starts in [0, N-seqLen-1], drawn with
     * {@code new SplittableRandom(seed).nextInt(N - seqLen)} in order, so a seed always gives the same windows.
     */
    public static List<int[]> sample(int[] tokens, int seqLen, int count, long seed) {
        checkSeqLen(seqLen);
        checkLength(tokens, seqLen);
        SplittableRandom rng = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int s = rng.nextInt(tokens.length - seqLen);
            out.add(Arrays.copyOfRange(tokens, s, s + seqLen + 1));
        }
        return out;
    }

    /**
     * {@code count} disjoint consecutive windows of length seqLen+1: window i holds tokens (offset + i*(seqLen+1) + j)
     * mod N for j = 0..seqLen, so windows wrap from the end of the stream to its start.
     */
    public static List<int[]> sequential(int[] tokens, int seqLen, int count, long offset) {
        checkSeqLen(seqLen);
        checkLength(tokens, seqLen);
        int n = tokens.length;
        List<int[]> out = new ArrayList<>(count);
        long pos = Math.floorMod(offset, (long) n);
        for (int i = 0; i < count; i++) {
            int[] w = new int[seqLen + 1];
            for (int j = 0; j <= seqLen; j++) {
                w[j] = tokens[(int) pos];
                pos = pos + 1 == n ? 0 : pos + 1;
            }
            out.add(w);
        }
        return out;
    }

    /** Right-pads rows with {@code padId} to the longest row's length, keeping each row's real length. */
    public static Packed pad(List<int[]> rows, int padId) {
        int width = 0;
        for (int[] r : rows) {
            width = Math.max(width, r.length);
        }
        int[][] ids = new int[rows.size()][width];
        int[] lengths = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            int[] r = rows.get(i);
            System.arraycopy(r, 0, ids[i], 0, r.length);
            Arrays.fill(ids[i], r.length, width, padId);
            lengths[i] = r.length;
        }
        return new Packed(ids, lengths);
    }

    private static void checkSeqLen(int seqLen) {
        if (seqLen < 1) {
            throw new InvalidInputException("sequence length must be at least 1, got " + seqLen);
        }
    }

    private static void checkLength(int[] tokens, int seqLen) {
        if (tokens.length < seqLen + 1) {
            throw new InvalidInputException("token stream has " + tokens.length + " tokens; windows of sequence length "
                    + seqLen + " need at least " + (seqLen + 1));
        }
    }
}
