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
import org.minitron4j.model.Model;

/**
 * Scores log-likelihood requests with a {@link Model}, batched: requests are sorted by length (longest first, as the
 * harness does, so padding is minimal), right-padded, and run in batches of at most {@code maxBatchTokens} tokens.
 * Right padding needs no attention mask under a causal model: real positions never see the padding after them.
 */
public final class ModelScorer implements LoglikelihoodScorer {
    private final Model model;
    private final int maxBatchTokens;
    private final Progress progress;
    private final Forward.Options forward;

    public ModelScorer(Model model) {
        this(model, 8192, Progress.NONE);
    }

    public ModelScorer(Model model, int maxBatchTokens, Progress progress) {
        this(model, maxBatchTokens, progress, Set.of());
    }

    /** Scores as if {@code skippedLayers} were removed (depth-pruning metrics without building new models). */
    public ModelScorer(Model model, int maxBatchTokens, Progress progress, Set<Integer> skippedLayers) {
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
        int done = 0;
        while (done < n) {
            int longest = inputs[order[done]].length - 1;
            int size = Math.max(1, Math.min(n - done, maxBatchTokens / Math.max(1, longest)));
            List<Integer> batch = new ArrayList<>(Arrays.asList(order).subList(done, done + size));
            scoreBatch(batch, inputs, requests, out, longest);
            done += size;
            progress.update("scoring", done, n, "");
        }
        return Arrays.asList(out);
    }

    private void scoreBatch(List<Integer> batch, int[][] inputs, List<LoglikelihoodRequest> requests, Loglikelihood[] out,
                            int width) {
        int b = batch.size();
        int[][] in = new int[b][width];
        int[][] target = new int[b][width];
        for (int r = 0; r < b; r++) {
            int[] seq = inputs[batch.get(r)];
            System.arraycopy(seq, 0, in[r], 0, seq.length - 1);
            System.arraycopy(seq, 1, target[r], 0, seq.length - 1);
        }
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
            int len = inputs[batch.get(r)].length, cont = requests.get(batch.get(r)).continuation().length;
            // predictions of the continuation: positions len-1-cont .. len-2 of the fed sequence
            for (int t = len - 1 - cont; t < len - 1; t++, k++) {
                rows[k] = (long) r * width + t;
                wanted[k] = target[r][t];
            }
        }
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray hidden = model.forward(scope.create(in), forward).hidden(); // (B, T, d)
            NDArray logits = model.lmHead(hidden.reshape(-1, hidden.getShape().get(2)).get(new NDIndex("{}", scope.create(rows))));
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
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
