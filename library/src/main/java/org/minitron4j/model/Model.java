package org.minitron4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;

/**
 * A decoder-only transformer: an immutable {@link ModelConfig} and the f32 weights it implies, owned by the model's
 * own {@link NDManager}. The one forward pass ({@link #forward}) serves evaluation, importance capture, training and
 * generation. Config and weights always agree: construction checks every name and shape.
 */
public final class Model implements Transformer, Weights, AutoCloseable, HtmlRenderable {
    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights;
    private final @Nullable Rope rope;

    /**
     * Takes ownership of {@code weights} (attached to a new manager on {@code device}); they must match {@link
     * WeightNames#layout} exactly.
     */
    public Model(ModelConfig config, Map<String, NDArray> weights, Device device) {
        this.config = config;
        this.manager = NDManager.newBaseManager(device);
        Map<String, Shape> layout = WeightNames.layout(config);
        for (String name : weights.keySet()) {
            if (!layout.containsKey(name)) {
                throw new InvalidInputException("unexpected tensor '" + name + "' for " + config);
            }
        }
        Map<String, NDArray> owned = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : layout.entrySet()) {
            NDArray w = weights.get(e.getKey());
            if (w == null) {
                throw new InvalidInputException("missing tensor '" + e.getKey() + "' for " + config);
            }
            if (!w.getShape().equals(e.getValue())) {
                throw new InvalidInputException("tensor '" + e.getKey() + "' has shape " + w.getShape() + ", expected "
                        + e.getValue() + " for " + config);
            }
            if (w.getDataType() != DataType.FLOAT32) {
                w = w.toType(DataType.FLOAT32, false);
            }
            if (!w.getDevice().equals(device)) {
                w = w.toDevice(device, false);
            }
            w.attach(manager);
            owned.put(e.getKey(), w);
        }
        this.weights = Collections.unmodifiableMap(owned);
        this.rope = config.learnedPositions() ? null : new Rope(config, manager);
    }

    /**
     * A freshly initialised model: weights ~ N(0, 0.02), residual output projections scaled by 1/sqrt(2·layers) (as
     * GPT-2 does), norm gains 1, biases 0. Deterministic for a seed.
     */
    public static Model random(ModelConfig config, Device device, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * config.numLayers());
        try (NDManager tmp = NDManager.newBaseManager(device)) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, Shape> e : WeightNames.layout(config).entrySet()) {
                String name = e.getKey();
                Shape shape = e.getValue();
                float[] data = new float[Math.toIntExact(shape.size())];
                boolean isNorm = WeightNames.isNorm(name);
                if (name.endsWith(".bias")) {
                    // zeros
                } else if (isNorm) {
                    java.util.Arrays.fill(data, config.norm().unitGain());
                } else {
                    double std = name.contains("o_proj") || name.contains("down_proj") ? residualStd : 0.02;
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (float) (gaussian(rng) * std);
                    }
                }
                w.put(name, tmp.create(data, shape));
            }
            return new Model(config, w, device);
        }
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    public Device device() {
        return manager.getDevice();
    }

    public NDManager manager() {
        return manager;
    }

    /** All weights by canonical name (see {@link WeightNames}), in layout order. */
    public Map<String, NDArray> weights() {
        return weights;
    }

    @Override
    public NDArray weight(String name) {
        NDArray w = weights.get(name);
        if (w == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in " + config);
        }
        return w;
    }

    /** Exact parameter count of the weights held (tied embeddings counted once). */
    @Override
    public long parameterCount() {
        long n = 0;
        for (NDArray w : weights.values()) {
            n += w.getShape().size();
        }
        return n;
    }

    /** A deep copy with its own manager: weights duplicated, so training or surgery on it leaves this model untouched. */
    public Model copy() {
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : weights.entrySet()) {
                NDArray c = e.getValue().duplicate();
                c.attach(tmp);
                w.put(e.getKey(), c);
            }
            return new Model(config, w, device());
        }
    }

    /** Logits for a batch of token ids, nothing captured. */
    public NDArray logits(NDArray inputIds) {
        return forward(inputIds, Forward.options()).logits();
    }

    /**
     * The LM head alone: logits [..., vocab] of final-norm hidden states [..., hidden] (e.g. {@link Forward#hidden()} of
     * a pass run {@link Forward.Options#withoutLogits() without logits}, restricted to the positions that are scored).
     */
    public NDArray lmHead(NDArray hidden) {
        return Forward.lmHead(config, this, hidden);
    }

    /**
     * Runs the transformer on {@code inputIds} [B, T] (int32 or int64). Every array it creates belongs to the input's
     * manager, so a caller's per-step scope frees them all.
     */
    public Forward forward(NDArray inputIds, Forward.Options options) {
        return Forward.run(this, rope, inputIds, options);
    }

    /** Each batch through every layer in turn, in its own scope (freed after its {@link PassListener#output}). */
    @Override
    public void passBatches(List<TokenBatch> batches, Forward.Options options, PassListener listener, Progress progress) {
        if (options.cache() != null) {
            throw new IllegalArgumentException("a pass over many batches takes no KV cache");
        }
        for (int b = 0; b < batches.size(); b++) {
            try (NDManager scope = manager.newSubManager()) {
                TokenBatch batch = batches.get(b);
                Forward f = forward(scope.create(batch.ids()), options.withPacking(batch.packing()).withOutputsAt(batch.outputs()));
                for (int l = 0; l < config.numLayers(); l++) {
                    if (!options.skipLayers().contains(l)) {
                        listener.layer(l, b, f.activations());
                    }
                }
                listener.output(b, f);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    static void checkTokens(ModelConfig config, NDArray inputIds) {
        if (inputIds.getShape().dimension() != 2) {
            throw new InvalidInputException("input ids must be [batch, tokens], got shape " + inputIds.getShape());
        }
    }

    /** A pass that needs {@code positions} positions (cached ones included) must not run past learned ones. */
    static void checkPositions(ModelConfig config, long positions) {
        if (config.learnedPositions() && positions > config.maxPositionEmbeddings()) {
            throw new InvalidInputException("sequence of " + positions + " tokens exceeds the " + config.maxPositionEmbeddings()
                    + " learned positions of " + config);
        }
    }

    /** Layers skipped by a forward pass must exist. */
    static void checkLayers(ModelConfig config, Set<Integer> layers) {
        for (int l : layers) {
            if (l < 0 || l >= config.numLayers()) {
                throw new InvalidInputException("layer " + l + " does not exist (model has " + config.numLayers() + " layers)");
            }
        }
    }

    /** Its config's shape, exact parameter count and device. */
    @Override
    public String toHtml() {
        Map<String, Object> rows = config.summaryRows(parameterCount());
        rows.put("device", device().toString());
        return Fragments.keyValues("Model", rows);
    }
}
