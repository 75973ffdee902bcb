package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with decoupled weight decay, applied only to matrices (norm gains and biases are not decayed), updating the
 * weights in place. The moments of all parameters live in two flat buffers in the optimizer's own manager; an update
 * walks them in cache-sized chunks (small parameters grouped into one chunk, a large one split into several), so a
 * step is a dozen operations per chunk (and two per weight) on arrays that stay in cache. Per-parameter views of the
 * buffers serve checkpoints. The step counter drives bias correction.
 */
final class AdamW implements AutoCloseable {
    /** Elements per chunk of an update: 1 MiB of float32, so that a chunk's dozen arrays fit in a core's L2 cache. */
    static final long CHUNK = 1 << 18;

    private final NDManager manager;
    private final List<String> names; // the order of the parameters in the flat buffers
    private final Shape[] shapes;
    private final long[] offsets; // where each parameter's elements start in the flat buffers (after the first)
    private final double beta1, beta2, eps, weightDecay;
    private final List<Chunk> plan;
    private NDArray m, v; // [parameters' elements]
    private Map<String, NDArray> mViews, vViews;
    private long t;

    AdamW(NDManager parent, Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        this(parent, params, beta1, beta2, eps, weightDecay, CHUNK);
    }

    /** With updates computed at most {@code chunk} elements at a time (tests vary it: the bits must not depend on it). */
    AdamW(NDManager parent, Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay,
          long chunk) {
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
        plan = plan(shapes, chunk);
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

    /**
     * A chunk of the flat buffers an update walks: a run of whole parameters of at most the chunk size together, or a
     * piece of that size of a larger parameter. {@code [from, to)} in the flat buffers; parameters {@code first..last-1}.
     */
    private record Chunk(long from, long to, int first, int last) {
    }

    private static List<Chunk> plan(Shape[] shapes, long chunk) {
        List<Chunk> plan = new ArrayList<>();
        long start = 0;
        for (int first = 0; first < shapes.length; ) {
            long size = shapes[first].size();
            int last = first + 1;
            if (size > chunk) {
                for (long from = 0; from < size; from += chunk) {
                    plan.add(new Chunk(start + from, start + Math.min(size, from + chunk), first, last));
                }
            } else {
                while (last < shapes.length && size + shapes[last].size() <= chunk) {
                    size += shapes[last].size();
                    last++;
                }
                plan.add(new Chunk(start, start + size, first, last));
            }
            start += size;
            first = last;
        }
        return plan;
    }

    /**
     * One update with the step's gradients (by parameter name), each first multiplied by {@code gradScale} when it is
     * not 1 (global-norm clipping); the gradients are overwritten. Chunk by chunk: the chunk's gradient (a view of a
     * large parameter's, or a run of small parameters' gathered into one array), the moments there, then the chunk's
     * weights, so that the dozen passes of an update run over arrays that stay in the CPU's cache instead of streaming
     * the whole model through memory each time (the same arithmetic element by element as on whole buffers, so the
     * same bits). Temporaries go to {@code scope}.
     */
    void step(Map<String, NDArray> params, Map<String, NDArray> grads, double gradScale, double lr, NDManager scope) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (Chunk c : plan) {
            try (NDManager chunkScope = scope.newSubManager()) {
                NDArray g;
                if (c.last() - c.first() == 1) {
                    g = piece(grads.get(names.get(c.first())), c, chunkScope);
                } else {
                    NDList parts = new NDList(c.last() - c.first());
                    for (int i = c.first(); i < c.last(); i++) {
                        parts.add(flat(grads.get(names.get(i)), chunkScope));
                    }
                    g = NDArrays.concat(parts, 0);
                }
                if (gradScale != 1) {
                    g.muli((float) gradScale);
                }
                NDIndex range = slice(c.from(), c.to());
                chunkScope.tempAttachAll(m, v); // results of ops on them land in the chunk's scope, not the optimizer's
                NDArray mc = m.get(range), vc = v.get(range); // views: updated in place
                // each temporary is freed as soon as it is used, so the next one reuses its (cached) memory
                NDArray sq = g.square();
                vc.muli((float) beta2).addi(sq.muli((float) (1 - beta2)));
                sq.close();
                mc.muli((float) beta1).addi(g.muli((float) (1 - beta1))); // the gradient is not read again
                NDArray scaled = vc.div((float) bc2);
                NDArray denom = scaled.sqrt().addi((float) eps);
                scaled.close();
                NDArray update = mc.div(denom).muli((float) (lr / bc1)); // (chunk elements)
                denom.close();
                if (c.last() - c.first() == 1) { // one parameter, or a piece of a large one
                    NDArray w = params.get(names.get(c.first()));
                    apply(w, piece(w, c, chunkScope), update, lr);
                } else { // a run of small parameters: the update split at their boundaries (views)
                    long[] cuts = new long[c.last() - c.first() - 1];
                    for (int i = 0; i < cuts.length; i++) {
                        cuts[i] = start(c.first() + i + 1) - c.from();
                    }
                    NDList parts = update.split(cuts);
                    for (int i = c.first(); i < c.last(); i++) {
                        NDArray w = params.get(names.get(i));
                        apply(w, flat(w, chunkScope), parts.get(i - c.first()), lr);
                    }
                }
            }
        }
    }

    /** {@code target} (a one-dimensional view of weight {@code w} or of part of it) decayed if w is a matrix, minus update. */
    private void apply(NDArray w, NDArray target, NDArray update, double lr) {
        if (weightDecay > 0 && decays(w)) {
            target.muli((float) (1 - lr * weightDecay));
        }
        target.subi(update);
    }

    /** Elements [from, to) of a one-dimensional array (an index built without parsing a string). */
    private static NDIndex slice(long from, long to) {
        return new NDIndex().addSliceDim(from, to);
    }

    /**
     * The elements of a chunk of one parameter (its weight or gradient {@code a}) as a one-dimensional view: all of
     * them, or the chunk's piece of a large one.
     */
    private NDArray piece(NDArray a, Chunk c, NDManager scope) {
        NDArray view = flat(a, scope);
        long start = start(c.first());
        return c.to() - c.from() == shapes[c.first()].size() ? view : view.get(slice(c.from() - start, c.to() - start));
    }

    /** Where parameter {@code i}'s elements start in the flat buffers. */
    private long start(int i) {
        return i == 0 ? 0 : offsets[i - 1];
    }

    /** A one-dimensional view of a contiguous array, in {@code scope}. */
    private static NDArray flat(NDArray a, NDManager scope) {
        NDArray view = a.reshape(-1);
        view.attach(scope);
        return view;
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
