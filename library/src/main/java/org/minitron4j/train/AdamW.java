package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, applied only to matrices (norm gains and biases are not decayed), updating the
 * weights in place. Moments live in the optimizer's own manager; the step counter drives bias correction.
 */
final class AdamW implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final double beta1, beta2, eps, weightDecay;
    private long t;

    AdamW(NDManager parent, Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        this.manager = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    static boolean decays(NDArray param) {
        return param.getShape().dimension() >= 2;
    }

    /** One update with gradients {@code grads} (same keys as the params); temporaries go to {@code scope}. */
    void step(Map<String, NDArray> params, Map<String, NDArray> grads, double lr, NDManager scope) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            NDArray w = e.getValue(), g = grads.get(name), mi = m.get(name), vi = v.get(name);
            scope.tempAttachAll(mi, vi, w); // results of ops on them land in the step scope, not the model's
            mi.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
            vi.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
            NDArray denom = vi.div((float) bc2).sqrt().addi((float) eps);
            NDArray update = mi.div(denom).muli((float) (lr / bc1));
            if (weightDecay > 0 && decays(w)) {
                w.muli((float) (1 - lr * weightDecay));
            }
            w.subi(update);
        }
    }

    long stepCount() {
        return t;
    }

    /** First moments by parameter name (live arrays: a checkpoint reads them, a resume overwrites them). */
    Map<String, NDArray> firstMoments() {
        return m;
    }

    Map<String, NDArray> secondMoments() {
        return v;
    }

    /** Sets the step counter after the moments were restored from a checkpoint. */
    void restoreStepCount(long steps) {
        t = steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
