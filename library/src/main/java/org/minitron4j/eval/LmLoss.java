package org.minitron4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Batches;
import org.minitron4j.data.TokenSource;
import org.minitron4j.model.Forward;
import org.minitron4j.model.LogProbs;
import org.minitron4j.model.Model;

/**
 * Mean next-token negative log-likelihood (natural log) and perplexity, scored in windows of up to {@code seqLen}
 * predictions that each start a fresh context ({@link Batches#evalWindows}): over one token stream (every token but the
 * first is predicted exactly once; windows run across document boundaries, as Megatron evaluates an EOD-separated
 * stream), or over documents scored apart (as lm-evaluation-harness and Hugging Face do).
 */
public final class LmLoss {
    private LmLoss() {
    }

    /** The result: loss = NLL / tokens, perplexity = exp(loss), tokens = predicted tokens. */
    public record Result(double loss, double perplexity, long tokens) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "lm-loss %.4f (perplexity %.3f) over %d tokens", loss, perplexity, tokens);
        }
    }

    public static Result evaluate(Model model, int[] tokens, int seqLen, int batchSize) {
        return evaluate(model, tokens, seqLen, batchSize, Progress.NONE);
    }

    public static Result evaluate(Model model, int[] tokens, int seqLen, int batchSize, Progress progress) {
        return evaluate(model, tokens, seqLen, batchSize, Set.of(), progress);
    }

    /** The loss of the model with {@code skippedLayers} bypassed, as if they were removed (for depth metrics). */
    public static Result evaluate(Model model, int[] tokens, int seqLen, int batchSize, Set<Integer> skippedLayers,
                                  Progress progress) {
        checkShape(model, seqLen, batchSize);
        if (tokens.length < 2) {
            throw new InvalidInputException("need at least 2 tokens to score, got " + tokens.length);
        }
        List<Batches.Window> windows = new ArrayList<>();
        for (int[] w : Batches.evalWindows(tokens, seqLen)) {
            windows.add(new Batches.Window(w, w.length - 1));
        }
        return score(model, windows, batchSize, Forward.options().withSkippedLayers(skippedLayers), progress);
    }

    /**
     * The loss of documents scored apart, as lm-evaluation-harness's {@code loglikelihood_rolling} scores a text: each
     * document is cut into its own rolling windows ({@link Batches#rollingWindows}), no window spans two documents, so
     * every token but each document's first (the BOS where the tokenizer adds one, the harness's prefix token) is
     * predicted exactly once, from context of its own document only. A document of one token has nothing to predict.
     */
    public static Result evaluate(Model model, TokenSource.Documents documents, int seqLen, int batchSize,
                                  Progress progress) {
        checkShape(model, seqLen, batchSize);
        List<Batches.Window> windows = new ArrayList<>();
        for (int i = 0; i < documents.count(); i++) {
            windows.addAll(Batches.rollingWindows(documents.document(i), seqLen));
        }
        if (windows.isEmpty()) {
            throw new InvalidInputException("need a document of at least 2 tokens to score, got " + documents.count()
                    + " documents of " + documents.tokens().length + " tokens in all");
        }
        return score(model, windows, batchSize, Forward.options(), progress);
    }

    private static void checkShape(Model model, int seqLen, int batchSize) {
        if (seqLen < 1) {
            throw new InvalidInputException("--seq-len must be at least 1, got " + seqLen);
        }
        if (batchSize < 1) {
            throw new InvalidInputException("--batch-size must be at least 1, got " + batchSize);
        }
        int context = model.config().learnedPositions() ? model.config().maxPositionEmbeddings() : Integer.MAX_VALUE;
        if (seqLen > context) {
            throw new InvalidInputException("--seq-len " + seqLen + " exceeds the model's " + context + " positions");
        }
    }

    /** Scores every window, {@code batchSize} windows per forward pass. */
    private static Result score(Model model, List<Batches.Window> windows, int batchSize, Forward.Options options,
                                Progress progress) {
        double nll = 0;
        long count = 0;
        for (int start = 0; start < windows.size(); start += batchSize) {
            List<Batches.Window> batch = windows.subList(start, Math.min(windows.size(), start + batchSize));
            try (NDManager scope = model.manager().newSubManager()) {
                nll += batchNll(model, scope, batch, options);
            }
            for (Batches.Window w : batch) {
                count += w.predicted();
            }
            progress.update("lm-loss", start + batch.size(), windows.size(),
                    String.format(Locale.ROOT, "loss %.4f", nll / count));
        }
        double loss = nll / count;
        return new Result(loss, Math.exp(loss), count);
    }

    /** Summed NLL of one batch of windows (right-padded; padded positions and context-only positions masked out). */
    private static double batchNll(Model model, NDManager scope, List<Batches.Window> windows, Forward.Options options) {
        int maxLen = 0;
        for (Batches.Window w : windows) {
            maxLen = Math.max(maxLen, w.tokens().length - 1);
        }
        int b = windows.size();
        int[][] in = new int[b][maxLen];
        int[][] target = new int[b][maxLen];
        float[][] mask = new float[b][maxLen];
        for (int i = 0; i < b; i++) {
            int[] w = windows.get(i).tokens();
            int firstTarget = w.length - 1 - windows.get(i).predicted();
            for (int t = 0; t < w.length - 1; t++) {
                in[i][t] = w[t];
                target[i][t] = w[t + 1];
                mask[i][t] = t >= firstTarget ? 1f : 0f;
            }
        }
        NDArray logits = model.forward(scope.create(in), options).logits();
        NDArray lp = LogProbs.ofTargets(logits, scope.create(target));
        // Sum in double on the Java side: per-window float sums of thousands of terms would lose digits.
        float[] values = lp.mul(scope.create(mask)).toFloatArray();
        double s = 0;
        for (float v : values) {
            s -= v;
        }
        return s;
    }
}
