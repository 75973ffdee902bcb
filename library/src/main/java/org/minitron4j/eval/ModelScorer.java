package org.minitron4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.minitron4j.Progress;
import org.minitron4j.model.Forward;
import org.minitron4j.model.LogProbs;
import org.minitron4j.model.TokenBatch;
import org.minitron4j.model.Transformer;

/**
 * Scores log-likelihood requests with a {@link Transformer}, doing less work than the harness for the same numbers:
 * identical requests are scored once, and requests that share a prefix (a Winogrande sentence before its blank, a
 * few-shot block, a multiple-choice question before its endings) are packed into one row that computes the prefix once
 * ({@link PrefixPacking}). Rows are sorted by length (longest first, so padding is minimal), right-padded, and run in
 * batches of at most {@code maxBatchTokens} tokens. Right padding needs no more masking than the rows' own: real
 * positions never see the padding after them. Log-likelihoods equal those of scoring every request alone up to rounding.
 */
public final class ModelScorer implements LoglikelihoodScorer {
    private final Transformer model;
    private final int maxBatchTokens;
    private final Progress progress;
    private final Forward.Options forward;

    public ModelScorer(Transformer model) {
        this(model, 8192, Progress.NONE);
    }

    public ModelScorer(Transformer model, int maxBatchTokens, Progress progress) {
        this(model, maxBatchTokens, progress, Set.of());
    }

    /** Scores as if {@code skippedLayers} were removed (depth-pruning metrics without building new models). */
    public ModelScorer(Transformer model, int maxBatchTokens, Progress progress, Set<Integer> skippedLayers) {
        this.model = model;
        this.maxBatchTokens = Math.max(1, maxBatchTokens);
        this.progress = progress;
        this.forward = Forward.options().withSkippedLayers(skippedLayers).withoutLogits();
    }

    @Override
    public List<Loglikelihood> score(List<LoglikelihoodRequest> requests) {
        int context = model.config().maxSequenceLength();
        int n = requests.size();
        int[][] inputs = new int[n][];
        int[] continuation = new int[n];
        for (int i = 0; i < n; i++) {
            LoglikelihoodRequest r = requests.get(i);
            if (r.continuation().length == 0) {
                throw new IllegalArgumentException("request " + i + " has an empty continuation");
            }
            if (r.context().length == 0) {
                throw new IllegalArgumentException("request " + i + " has an empty context: nothing predicts its first"
                        + " token (the harness puts the end-of-text token there)");
            }
            int[] whole = concat(r.context(), r.continuation());
            // The harness keeps the last (context + 1) tokens and feeds all but the last one.
            int from = Math.max(0, whole.length - 1 - context);
            inputs[i] = Arrays.copyOfRange(whole, from, whole.length);
            continuation[i] = r.continuation().length;
        }
        List<PrefixPacking.Row> rows = PrefixPacking.rows(inputs, continuation, packLimit(), attentionCost());
        // longest rows first (as the harness sorts requests), so that each batch pads little
        rows.sort(Comparator.comparingInt((PrefixPacking.Row r) -> -r.length()).thenComparingInt(r -> r.first()));
        List<List<PrefixPacking.Row>> batches = new ArrayList<>();
        List<Scored> scored = new ArrayList<>();
        List<TokenBatch> ids = new ArrayList<>();
        for (int done = 0; done < rows.size(); ) {
            int longest = rows.get(done).length();
            int size = Math.max(1, Math.min(rows.size() - done, maxBatchTokens / Math.max(1, longest)));
            List<PrefixPacking.Row> batch = rows.subList(done, done + size);
            batches.add(batch);
            Scored s = Scored.of(batch, inputs, continuation);
            scored.add(s);
            TokenBatch packed = PrefixPacking.batch(batch, inputs, longest);
            ids.add(new TokenBatch(packed.ids(), packed.packing(), s.columns()));
            done += size;
        }
        Loglikelihood[] out = new Loglikelihood[n];
        int[] scoredSoFar = {0};
        model.passBatches(ids, forward, (b, f) -> {
            scoreBatch(batches.get(b), scored.get(b), continuation, out, f);
            for (PrefixPacking.Row r : batches.get(b)) {
                scoredSoFar[0] += r.requests();
            }
            progress.update("scoring", scoredSoFar[0], n, "");
        }, progress);
        return Arrays.asList(out);
    }

    /** The longest packed row: long enough for several requests, short enough that attention stays cheap. */
    private int packLimit() {
        return Math.min(maxBatchTokens, Math.max(2048, model.config().maxSequenceLength()));
    }

    /**
     * Row length at which a token's attention (2·d multiply-adds per key) costs as much as its projections and MLP
     * (about 4·d² + 3·d·ffn): the weight of attention in {@link PrefixPacking}'s estimate of a row's work.
     */
    private double attentionCost() {
        double d = model.config().hiddenSize(), ffn = model.config().intermediateSize();
        return (4 * d * d + 3 * d * ffn) / (2 * d);
    }

    /**
     * What one batch scores: the columns of each row that predict a continuation token [B][Q] (in the order of the
     * row's members and their tokens, shorter rows padded with their first column; only these tokens' outputs are
     * computed in the last layer, and the LM head runs on them alone), and for each scored token its index r·Q + k in
     * the pass's [B, Q] outputs and the token it should predict.
     */
    private record Scored(int[][] columns, long[] flat, int[] wanted) {
        static Scored of(List<PrefixPacking.Row> batch, int[][] inputs, int[] continuation) {
            int q = 0, scored = 0;
            for (PrefixPacking.Row row : batch) {
                int n = 0;
                for (PrefixPacking.Member m : row.members()) {
                    n += continuation[m.requests()[0]];
                }
                q = Math.max(q, n);
                scored += n;
            }
            int[][] columns = new int[batch.size()][q];
            long[] flat = new long[scored];
            int[] wanted = new int[scored];
            int k = 0;
            for (int r = 0; r < batch.size(); r++) {
                PrefixPacking.Row row = batch.get(r);
                int j = 0;
                for (PrefixPacking.Member m : row.members()) {
                    int[] seq = inputs[m.requests()[0]];
                    int len = seq.length, cont = continuation[m.requests()[0]];
                    // predictions of the continuation: positions len-1-cont .. len-2 of the fed sequence
                    for (int t = len - 1 - cont; t < len - 1; t++, j++, k++) {
                        columns[r][j] = row.column(m, t);
                        flat[k] = (long) r * q + j;
                        wanted[k] = seq[t + 1];
                    }
                }
                Arrays.fill(columns[r], j, q, columns[r][0]);
            }
            return new Scored(columns, flat, wanted);
        }
    }

    /**
     * Log-likelihoods of one batch's continuations from its forward output (final-norm hidden states [B, Q, d] of the
     * {@link Scored#columns}), into {@code out} at every request of each member.
     */
    private static void scoreBatch(List<PrefixPacking.Row> batch, Scored s, int[] continuation, Loglikelihood[] out,
                                   Forward f) {
        NDArray hidden = f.hidden(); // (B, Q, d)
        NDManager scope = hidden.getManager();
        int[] wanted = s.wanted();
        NDArray logits = f.logitsOf(hidden.reshape(-1, hidden.getShape().get(2)).get(new NDIndex("{}", scope.create(s.flat()))));
        float[] lp = LogProbs.ofTargets(logits, scope.create(wanted)).toFloatArray(); // (scored)
        long[] argmax = logits.argMax(1).toLongArray(); // (scored)
        int k = 0;
        for (PrefixPacking.Row row : batch) {
            for (PrefixPacking.Member m : row.members()) {
                int cont = continuation[m.requests()[0]];
                double sum = 0;
                boolean greedy = true;
                for (int j = 0; j < cont; j++, k++) {
                    sum += lp[k];
                    greedy &= argmax[k] == wanted[k];
                }
                for (int i : m.requests()) { // identical requests, scored once
                    out[i] = new Loglikelihood(sum, greedy);
                }
            }
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
