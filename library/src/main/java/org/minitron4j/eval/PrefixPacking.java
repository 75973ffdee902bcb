package org.minitron4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minitron4j.model.PackedRows;
import org.minitron4j.model.TokenBatch;

/**
 * Packs the fed sequences of log-likelihood requests into rows that compute each shared prefix once: identical requests
 * become one member, and members whose sequences share a prefix go into one row as the prefix followed by each member's
 * remaining tokens (a branch). Which members share a row is chosen by dynamic programming over the sequences in
 * lexicographic order (where shared prefixes are neighbours), minimising an estimate of the work: the row's tokens plus
 * its attention, which grows with the square of the row's length.
 */
final class PrefixPacking {
    private PrefixPacking() {}

    /** Members sharing a row at most (bounds the search; more rarely pays). */
    private static final int MAX_MEMBERS = 64;

    /** A distinct request: the indices of every request with this input and continuation; its branch starts at {@code start}. */
    record Member(int[] requests, int start) {}

    /** One row: {@code prefix} shared tokens, then each member's branch; {@code first} is its smallest request index. */
    record Row(int prefix, List<Member> members, int length, int first) {
        /** The row's column of position {@code t} of a member's fed sequence. */
        int column(Member m, int t) {
            return t < prefix ? t : m.start() + (t - prefix);
        }

        int requests() {
            int n = 0;
            for (Member m : members) {
                n += m.requests().length;
            }
            return n;
        }
    }

    private record Key(int[] input, int continuation) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.continuation == continuation && Arrays.equals(k.input, input);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(input) + continuation;
        }
    }

    /**
     * @param inputs       each request's tokens, the last one not fed (as {@link ModelScorer} builds them)
     * @param continuation each request's continuation length
     * @param limit        the longest packed row (a single longer request still gets a row of its own)
     * @param attentionCost how many tokens of a row cost as much work as the attention of one token over the whole row
     *                      squared (the per-token work of the projections over that of attention per key)
     */
    static List<Row> rows(int[][] inputs, int[] continuation, int limit, double attentionCost) {
        Map<Key, List<Integer>> distinct = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            distinct.computeIfAbsent(new Key(inputs[i], continuation[i]), k -> new ArrayList<>()).add(i);
        }
        List<int[]> members = new ArrayList<>(distinct.size());
        for (List<Integer> same : distinct.values()) {
            members.add(same.stream().mapToInt(Integer::intValue).toArray());
        }
        // neighbours in lexicographic order of the fed sequences share the longest prefixes
        members.sort((a, b) -> {
            int c = Arrays.compare(inputs[a[0]], 0, fed(inputs, a), inputs[b[0]], 0, fed(inputs, b));
            return c != 0 ? c : Integer.compare(a[0], b[0]);
        });
        int n = members.size();
        int[] lcp = new int[n]; // lcp[i]: shared prefix of member i-1 and member i
        for (int i = 1; i < n; i++) {
            int[] a = inputs[members.get(i - 1)[0]], b = inputs[members.get(i)[0]];
            int m = Arrays.mismatch(a, 0, fed(inputs, members.get(i - 1)), b, 0, fed(inputs, members.get(i)));
            lcp[i] = m < 0 ? fed(inputs, members.get(i)) : m;
        }
        // best[i]: least work for members [0, i); from[i]: where the last row of that packing starts, prefix[i]: its
        // shared prefix
        double[] best = new double[n + 1];
        int[] from = new int[n + 1], prefixOf = new int[n + 1];
        for (int i = 1; i <= n; i++) {
            best[i] = Double.POSITIVE_INFINITY;
            long sum = 0;
            int shared = Integer.MAX_VALUE;
            for (int j = i - 1; j >= Math.max(0, i - MAX_MEMBERS); j--) {
                int len = fed(inputs, members.get(j));
                sum += len;
                if (j < i - 1) {
                    shared = Math.min(shared, lcp[j + 1]);
                }
                int prefix = j == i - 1 ? len : shared;
                int count = i - j;
                long length = prefix + (sum - (long) count * prefix);
                if (count > 1 && (prefix == 0 || length > limit)) {
                    break; // a row only grows from here: adding members never lengthens the shared prefix
                }
                double work = best[j] + length + (double) length * length / attentionCost;
                if (work < best[i]) {
                    best[i] = work;
                    from[i] = j;
                    prefixOf[i] = prefix;
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = n; i > 0; i = from[i]) {
            rows.add(row(inputs, members.subList(from[i], i), prefixOf[i]));
        }
        return rows;
    }

    private static int fed(int[][] inputs, int[] member) {
        return inputs[member[0]].length - 1;
    }

    /** The row of {@code group} (members in lexicographic order) sharing their first {@code prefix} tokens. */
    private static Row row(int[][] inputs, List<int[]> group, int prefix) {
        List<Member> members = new ArrayList<>(group.size());
        int column = prefix, first = Integer.MAX_VALUE;
        for (int[] g : group) {
            members.add(new Member(g, column));
            column += fed(inputs, g) - prefix;
            first = Math.min(first, g[0]); // a member's request indices are ascending
        }
        return new Row(prefix, members, column, first);
    }

    /**
     * The token ids of {@code rows}, right-padded to {@code width}, and their packing (null when no row shares a prefix:
     * then the batch is plain sequences under a causal mask).
     */
    static TokenBatch batch(List<Row> rows, int[][] inputs, int width) {
        int b = rows.size();
        int[][] ids = new int[b][width];
        int[][] positions = new int[b][width];
        int[][] branches = new int[b][width];
        boolean packed = false;
        for (int r = 0; r < b; r++) {
            Row row = rows.get(r);
            packed |= row.members().size() > 1;
            Arrays.fill(branches[r], -1);
            int[] head = inputs[row.members().get(0).requests()[0]];
            for (int t = 0; t < row.prefix(); t++) {
                ids[r][t] = head[t];
                positions[r][t] = t;
                branches[r][t] = 0;
            }
            for (int k = 0; k < row.members().size(); k++) {
                Member m = row.members().get(k);
                int[] seq = inputs[m.requests()[0]];
                for (int t = row.prefix(); t < seq.length - 1; t++) {
                    int col = row.column(m, t);
                    ids[r][col] = seq[t];
                    positions[r][col] = t;
                    branches[r][col] = k + 1;
                }
            }
        }
        return new TokenBatch(ids, packed ? new PackedRows(positions, branches) : null);
    }
}
