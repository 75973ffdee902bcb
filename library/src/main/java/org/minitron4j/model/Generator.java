package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.minitron4j.InvalidInputException;

/**
 * Autoregressive generation with a KV cache: greedy when temperature is 0, otherwise temperature and nucleus (top-p)
 * sampling from a seeded generator, so the same seed gives the same text.
 */
public final class Generator {
    private Generator() {
    }

    /** Sampling settings; {@code temperature = 0} is greedy. */
    public record Options(int maxTokens, double temperature, double topP, long seed, boolean stopAtEos) {
        public Options {
            if (maxTokens < 0) throw new InvalidInputException("maxTokens must be >= 0, got " + maxTokens);
            if (!(temperature >= 0)) throw new InvalidInputException("temperature must be >= 0, got " + temperature);
            if (!(topP > 0 && topP <= 1)) throw new InvalidInputException("topP must be in (0, 1], got " + topP);
        }

        public static Options greedy(int maxTokens) {
            return new Options(maxTokens, 0, 1, 0, true);
        }
    }

    /** Returns only the new tokens (at most maxTokens; fewer when EOS is produced and stopAtEos is set). */
    public static int[] generate(Model model, int[] prompt, Options o) {
        if (prompt.length == 0) {
            throw new InvalidInputException("the prompt encodes to no tokens");
        }
        ModelConfig c = model.config();
        if ((long) prompt.length + o.maxTokens() > c.maxSequenceLength()) {
            throw new InvalidInputException("prompt (" + prompt.length + " tokens) + maxTokens " + o.maxTokens()
                    + " exceeds the model's " + c.maxSequenceLength() + " positions");
        }
        SplittableRandom rng = new SplittableRandom(o.seed());
        int[] out = new int[o.maxTokens()];
        int n = 0;
        try (NDManager scope = model.manager().newSubManager(); KvCache cache = new KvCache(scope, c.numLayers())) {
            Forward.Options fo = Forward.options().withCache(cache);
            int[] feed = prompt;
            while (n < o.maxTokens()) {
                float[] last;
                try (NDManager step = scope.newSubManager()) {
                    NDArray logits = model.forward(step.create(new int[][] {feed}), fo).logits();
                    last = logits.get(new NDIndex("0, -1, :")).toFloatArray();
                }
                int next = o.temperature() == 0 ? argmax(last) : sample(last, o.temperature(), o.topP(), rng);
                out[n++] = next;
                if (o.stopAtEos() && c.eosTokenId() != null && next == c.eosTokenId()) {
                    break;
                }
                feed = new int[] {next};
            }
        }
        return Arrays.copyOf(out, n);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) best = i;
        }
        return best;
    }

    /** Samples from softmax(logits / T) restricted to the smallest set of top tokens whose mass reaches topP. */
    static int sample(float[] logits, double temperature, double topP, SplittableRandom rng) {
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[v];
        double z = 0;
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            z += p[i];
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]) != 0 ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        double mass = 0;
        int keep = 0;
        while (keep < v && (keep == 0 || mass < topP * z)) {
            mass += p[order[keep++]];
        }
        double r = rng.nextDouble() * mass;
        for (int i = 0; i < keep; i++) {
            r -= p[order[i]];
            if (r < 0) return order[i];
        }
        return order[keep - 1];
    }
}
