package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, applied only to matrices (norm gains and biases are not decayed), updating the
 * weights in place. The moments of all parameters live in two flat buffers in the optimizer's own manager, so that an
 * update is a handful of operations on the flat gradient instead of a dozen per tensor (the same arithmetic element by
 * element, so the same bits); per-parameter views of them serve checkpoints. The step counter drives bias correction.
 */
final class AdamW implements AutoCloseable {
    private final NDManager manager;
    private final List<String> names; // the order of the parameters in the flat buffers
    private final Shape[] shapes;
    private final long[] offsets; // where each parameter's elements start in the flat buffers (after the first)
    private final double beta1, beta2, eps, weightDecay;
    private NDArray m, v; // [parameters' elements]
    private Map<String, NDArray> mViews, vViews;
    private long t;

    AdamW(NDManager parent, Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        this.manager = parent.newSubManager();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.names = List.copyOf(params.keySet());
        this.shapes = new Shape[names.size()];
        this.offsets = new long[Math.max(0, names.size() - 1)];
        long total = 0;
        for (int i = 0; i < names.size(); i++) {
            shapes[i] = params.get(names.get(i)).getShape();
            if (i > 0) {
                offsets[i - 1] = total;
            }
            total += shapes[i].size();
        }
        m = manager.zeros(new Shape(total));
        v = manager.zeros(new Shape(total));
        views();
    }

    private void views() {
        mViews = split(m);
        vViews = split(v);
    }

    /** Per-parameter views [shape] of a flat buffer (in the buffer's manager: they share its memory). */
    private Map<String, NDArray> split(NDArray flat) {
        NDList parts = flat.split(offsets);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), parts.get(i).reshape(shapes[i]));
        }
        return out;
    }

    static boolean decays(NDArray param) {
        return param.getShape().dimension() >= 2;
    }

    /** Per-parameter arrays (same keys as the params) as one flat array in {@code target}, in this optimizer's order. */
    NDArray flatten(Map<String, NDArray> arrays, NDManager target) {
        NDList parts = new NDList(names.size());
        for (String name : names) {
            parts.add(arrays.get(name).reshape(-1)); // a view of a contiguous array
        }
        NDArray flat = NDArrays.concat(parts, 0);
        flat.attach(target);
        parts.close();
        return flat;
    }

    /** One update with the flat gradient {@code g} (from {@link #flatten}); temporaries go to {@code scope}. */
    void step(Map<String, NDArray> params, NDArray g, double lr, NDManager scope) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        scope.tempAttachAll(m, v); // results of ops on them land in the step scope, not the optimizer's
        m.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
        v.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
        NDArray denom = v.div((float) bc2).sqrt().addi((float) eps);
        NDArray update = m.div(denom).muli((float) (lr / bc1));
        for (Map.Entry<String, NDArray> e : split(update).entrySet()) {
            NDArray w = params.get(e.getKey());
            if (weightDecay > 0 && decays(w)) {
                w.muli((float) (1 - lr * weightDecay));
            }
            w.subi(e.getValue());
        }
    }

    long stepCount() {
        return t;
    }

    /** First moments by parameter name (views of the flat buffer: a checkpoint reads them, a resume overwrites them). */
    Map<String, NDArray> firstMoments() {
        return mViews;
    }

    Map<String, NDArray> secondMoments() {
        return vViews;
    }

    /**
     * Takes up a resumed run: the step counter, and the moments a checkpoint wrote into {@link #firstMoments()} and
     * {@link #secondMoments()} (a restore gives the views storage of their own, so the flat buffers are gathered from
     * them again).
     */
    void resumeAt(long steps) {
        t = steps;
        Map<String, NDArray> oldM = mViews, oldV = vViews;
        NDArray newM = flatten(mViews, manager), newV = flatten(vViews, manager);
        m.close();
        v.close();
        m = newM;
        v = newV;
        views();
        oldM.values().forEach(NDArray::close);
        oldV.values().forEach(NDArray::close);
    }

    @Override
    public void close() {
        manager.close();
    }
}
