package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

class ModelScorerTest {
    /** Log-softmax of one row computed in double on the Java side. */
    static double logSoftmaxAt(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v]);
        double z = 0;
        for (int v = 0; v < vocab; v++) z += Math.exp(logits[offset + v] - max);
        return logits[offset + target] - max - Math.log(z);
    }

    @Test
    void batchedPaddedScoringEqualsScoringEachRequestAlone() {
        ModelConfig cfg = ModelConfig.llama(30, 16, 32, 2, 2, 1);
        try (Model model = Model.random(cfg, Device.cpu(), 7); NDManager scope = NDManager.newBaseManager()) {
            SplittableRandom rng = new SplittableRandom(3);
            List<LoglikelihoodRequest> requests = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                int[] ctx = rng.ints(1 + rng.nextInt(8), 0, 30).toArray();
                int[] cont = rng.ints(1 + rng.nextInt(4), 0, 30).toArray();
                requests.add(new LoglikelihoodRequest(ctx, cont));
            }
            // requests sharing a context prefix (packed into one row, only the scored tokens through the last layer),
            // and one request twice
            int[] prefix = rng.ints(6, 0, 30).toArray();
            for (int i = 0; i < 4; i++) {
                int[] ctx = java.util.stream.IntStream.concat(java.util.Arrays.stream(prefix),
                        rng.ints(1 + rng.nextInt(3), 0, 30)).toArray();
                requests.add(new LoglikelihoodRequest(ctx, rng.ints(1 + rng.nextInt(3), 0, 30).toArray()));
            }
            requests.add(requests.get(10));
            List<Loglikelihood> batched = new ModelScorer(model, 24, org.minitron4j.Progress.NONE).score(requests);
            for (int i = 0; i < requests.size(); i++) {
                LoglikelihoodRequest r = requests.get(i);
                int[] whole = new int[r.context().length + r.continuation().length];
                System.arraycopy(r.context(), 0, whole, 0, r.context().length);
                System.arraycopy(r.continuation(), 0, whole, r.context().length, r.continuation().length);
                float[] logits = model.logits(scope.create(new int[][] {whole})).toFloatArray(); // (1, T, V)
                double expected = 0;
                for (int t = r.context().length - 1; t < whole.length - 1; t++) {
                    expected += logSoftmaxAt(logits, t * 30, 30, whole[t + 1]);
                }
                assertEquals(expected, batched.get(i).logProb(), 1e-4, "request " + i);
            }
        }
    }
}
