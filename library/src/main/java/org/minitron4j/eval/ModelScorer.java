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
import org.minitron4j.model.Transformer;

/**
 * Scores log-likelihood requests with a {@link Model}, batched: requests are sorted by length (longest first, as the
 * harness does, so padding is minimal), right-padded, and run in batches of at most {@code maxBatchTokens} tokens.
 * Right padding needs no attention mask under a causal model: real positions never see the padding after them.
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
        int context = model.config().learnedPositions() ? model.config().maxPositionEmbeddings() : Integer.MAX_VALUE;
        int n = requests.size();
        int[][] inputs = new int[n][];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            LoglikelihoodRequest r = requests.get(i);
            if (r.continuation().length == 0) {
                throw new IllegalArgumentException("request " + i + " has an empty continuation");
            }
            int[] whole = concat(r.context(), r.continuation());
            // The harness keeps the last (context + 1) tokens and feeds all but the last one.
            int from = Math.max(0, whole.length - 1 - context);
            inputs[i] = Arrays.copyOfRange(whole, from, whole.length);
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -inputs[i].length).thenComparingInt(i -> i));
        Loglikelihood[] out = new Loglikelihood[n];
        List<List<Integer>> batches = new ArrayList<>();
        List<int[][]> ids = new ArrayList<>();
        for (int done = 0; done < n; ) {
            int longest = inputs[order[done]].length - 1;
            int size = Math.max(1, Math.min(n - done, maxBatchTokens / Math.max(1, longest)));
            List<Integer> batch = new ArrayList<>(Arrays.asList(order).subList(done, done + size));
            int[][] in = new int[size][longest]; // right-padded with 0
            for (int r = 0; r < size; r++) {
                int[] seq = inputs[batch.get(r)];
                System.arraycopy(seq, 0, in[r], 0, seq.length - 1);
            }
            batches.add(batch);
            ids.add(in);
            done += size;
        }
        int[] scoredSoFar = {0};
        model.pass(ids, forward, (b, f) -> {
            scoreBatch(batches.get(b), inputs, requests, out, f);
            scoredSoFar[0] += batches.get(b).size();
            progress.update("scoring", scoredSoFar[0], n, "");
        }, progress);
        return Arrays.asList(out);
    }

    /** Log-likelihoods of one batch's continuations from its forward output (final-norm hidden states [B, T, d]). */
    private static void scoreBatch(List<Integer> batch, int[][] inputs, List<LoglikelihoodRequest> requests,
                                   Loglikelihood[] out, Forward f) {
        NDArray hidden = f.hidden(); // (B, T, d)
        NDManager scope = hidden.getManager();
        int b = batch.size();
        int width = (int) hidden.getShape().get(1);
        // Only the continuation positions are scored: the LM head, softmax and argmax run on those rows alone (with a
        // real vocabulary the logits of every position would dwarf the rest of the batch).
        int scored = 0;
        for (int idx : batch) {
            scored += requests.get(idx).continuation().length;
        }
        long[] rows = new long[scored]; // flat position r·width + t in the batch's hidden states
        int[] wanted = new int[scored];
        int k = 0;
        for (int r = 0; r < b; r++) {
            int[] seq = inputs[batch.get(r)];
            int len = seq.length, cont = requests.get(batch.get(r)).continuation().length;
            // predictions of the continuation: positions len-1-cont .. len-2 of the fed sequence
            for (int t = len - 1 - cont; t < len - 1; t++, k++) {
                rows[k] = (long) r * width + t;
                wanted[k] = seq[t + 1];
            }
        }
        NDArray logits = f.logitsOf(hidden.reshape(-1, hidden.getShape().get(2)).get(new NDIndex("{}", scope.create(rows))));
        float[] lp = LogProbs.ofTargets(logits, scope.create(wanted)).toFloatArray(); // (scored)
        long[] argmax = logits.argMax(1).toLongArray(); // (scored)
        k = 0;
        for (int r = 0; r < b; r++) {
            int cont = requests.get(batch.get(r)).continuation().length;
            double sum = 0;
            boolean greedy = true;
            for (int j = 0; j < cont; j++, k++) {
                sum += lp[k];
                greedy &= argmax[k] == wanted[k];
            }
            out[batch.get(r)] = new Loglikelihood(sum, greedy);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
