package org.minitron4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Batches;
import org.minitron4j.data.TokenSource;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.Forward;
import org.minitron4j.model.LogProbs;
import org.minitron4j.model.Transformer;

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
    public record Result(double loss, double perplexity, long tokens) implements HtmlRenderable {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "lm-loss %.4f (perplexity %.3f) over %d tokens", loss, perplexity, tokens);
        }

        /** LM loss, perplexity and the number of predicted tokens. */
        @Override
        public String toHtml() {
            Map<String, Object> rows = new LinkedHashMap<>();
            rows.put("loss (nats/token)", Fragments.fixed(loss, 4));
            rows.put("perplexity", Fragments.fixed(perplexity, 3));
            rows.put("tokens", tokens);
            return Fragments.keyValues("LM loss", rows);
        }
    }

    /** The loss on {@code tokens} with {@link LmLossOptions#defaults()}, reporting to {@link Progress#current()}. */
    public static Result evaluate(Transformer model, int[] tokens) {
        return evaluate(model, tokens, LmLossOptions.defaults());
    }

    /** The loss on {@code tokens}, reporting to {@link Progress#current()}. */
    public static Result evaluate(Transformer model, int[] tokens, LmLossOptions options) {
        return evaluate(model, tokens, options, Progress.current());
    }

    /**
     * The mean next-token loss on {@code tokens}, cut into consecutive windows of {@code options.seqLen()} predicted
     * tokens (each window's first token is context only), with {@code options.skippedLayers()} bypassed.
     */
    public static Result evaluate(Transformer model, int[] tokens, LmLossOptions options, Progress progress) {
        int seqLen = options.seqLenFor(model);
        checkShape(model, seqLen, options.batchSize());
        if (tokens.length < 2) {
            throw new InvalidInputException("need at least 2 tokens to score, got " + tokens.length);
        }
        List<Batches.Window> windows = new ArrayList<>();
        for (int[] w : Batches.evalWindows(tokens, seqLen)) {
            windows.add(new Batches.Window(w, w.length - 1));
        }
        return score(model, windows, options.batchSize(), Forward.options().withSkippedLayers(options.skippedLayers()),
                progress);
    }

    /** {@link #evaluate(Transformer, int[], LmLossOptions)} with {@code seqLen} and {@code batchSize}, silently. */
    public static Result evaluate(Transformer model, int[] tokens, int seqLen, int batchSize) {
        return evaluate(model, tokens, new LmLossOptions(seqLen, batchSize, Set.of()), Progress.NONE);
    }

    /**
     * The loss of documents scored apart, as lm-evaluation-harness's {@code loglikelihood_rolling} scores a text: each
     * document is cut into its own rolling windows ({@link Batches#rollingWindows}), no window spans two documents, so
     * every token but each document's first (the BOS where the tokenizer adds one, the harness's prefix token) is
     * predicted exactly once, from context of its own document only. A document of one token has nothing to predict.
     */
    public static Result evaluate(Transformer model, TokenSource.Documents documents, LmLossOptions options,
                                  Progress progress) {
        int seqLen = options.seqLenFor(model);
        int batchSize = options.batchSize();
        checkShape(model, seqLen, batchSize);
        List<Batches.Window> windows = new ArrayList<>();
        for (int i = 0; i < documents.count(); i++) {
            windows.addAll(Batches.rollingWindows(documents.document(i), seqLen));
        }
        if (windows.isEmpty()) {
            throw new InvalidInputException("need a document of at least 2 tokens to score, got " + documents.count()
                    + " documents of " + documents.tokens().length + " tokens in all");
        }
        return score(model, windows, batchSize, Forward.options().withSkippedLayers(options.skippedLayers()), progress);
    }

    private static void checkShape(Transformer model, int seqLen, int batchSize) {
        if (seqLen < 1) {
            throw new InvalidInputException("seqLen must be at least 1, got " + seqLen);
        }
        if (batchSize < 1) {
            throw new InvalidInputException("batchSize must be at least 1, got " + batchSize);
        }
        int context = model.config().maxSequenceLength();
        if (seqLen > context) {
            throw new InvalidInputException("seqLen " + seqLen + " exceeds the model's " + context + " positions");
        }
    }

    /** Scores every window, {@code batchSize} windows per forward pass. */
    private static Result score(Transformer model, List<Batches.Window> windows, int batchSize, Forward.Options options,
                                Progress progress) {
        List<List<Batches.Window>> groups = new ArrayList<>();
        List<int[][]> inputs = new ArrayList<>();
        for (int start = 0; start < windows.size(); start += batchSize) {
            List<Batches.Window> batch = windows.subList(start, Math.min(windows.size(), start + batchSize));
            groups.add(batch);
            inputs.add(inputs(batch));
        }
        double[] nll = {0};
        long[] count = {0};
        model.pass(inputs, options, (b, out) -> {
            nll[0] += batchNll(groups.get(b), out.logits());
            for (Batches.Window w : groups.get(b)) {
                count[0] += w.predicted();
            }
            progress.update("lm-loss", Math.min(windows.size(), (b + 1) * batchSize), windows.size(),
                    String.format(Locale.ROOT, "loss %.4f", nll[0] / count[0]));
        }, progress);
        double loss = nll[0] / count[0];
        return new Result(loss, Math.exp(loss), count[0]);
    }

    /** The input ids of a batch of windows [B, maxLen - 1], right-padded with 0. */
    private static int[][] inputs(List<Batches.Window> windows) {
        int maxLen = 0;
        for (Batches.Window w : windows) {
            maxLen = Math.max(maxLen, w.tokens().length - 1);
        }
        int[][] in = new int[windows.size()][maxLen];
        for (int i = 0; i < windows.size(); i++) {
            int[] w = windows.get(i).tokens();
            System.arraycopy(w, 0, in[i], 0, w.length - 1);
        }
        return in;
    }

    /** Summed NLL of one batch of windows given its logits (padded positions and context-only positions masked out). */
    private static double batchNll(List<Batches.Window> windows, NDArray logits) {
        NDManager scope = logits.getManager();
        int b = windows.size();
        int maxLen = (int) logits.getShape().get(1);
        int[][] target = new int[b][maxLen];
        float[][] mask = new float[b][maxLen];
        for (int i = 0; i < b; i++) {
            int[] w = windows.get(i).tokens();
            int firstTarget = w.length - 1 - windows.get(i).predicted();
            for (int t = 0; t < w.length - 1; t++) {
                target[i][t] = w[t + 1];
                mask[i][t] = t >= firstTarget ? 1f : 0f;
            }
        }
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
