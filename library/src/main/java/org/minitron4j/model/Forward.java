package org.minitron4j.model;

import io.soabase.recordbuilder.core.RecordBuilder;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One forward pass of a {@link Model}: its logits [B, T, vocab], the final-norm hidden states [B, T, hidden], and the
 * activations its {@link Capture} asked for. All arrays belong to the manager of the input ids.
 */
public final class Forward {
    private final @Nullable NDArray logits;
    private final NDArray hidden;
    private final Activations activations;
    private final ModelConfig config;
    private final Weights weights;

    private Forward(@Nullable NDArray logits, NDArray hidden, Activations activations, ModelConfig config,
                    Weights weights) {
        this.logits = logits;
        this.hidden = hidden;
        this.activations = activations;
        this.config = config;
        this.weights = weights;
    }

    /**
     * The LM head applied to hidden states [..., hidden] → logits [..., vocab], e.g. to {@link #hidden()} restricted to
     * the positions that are scored; usable while the pass that made this output is still running.
     */
    public NDArray logitsOf(NDArray hiddenStates) {
        return lmHead(config, weights, hiddenStates);
    }

    /** Logits [B, T, vocab]; null when {@link Options#withoutLogits()} was asked. */
    public @Nullable NDArray logits() {
        return logits;
    }

    /** Output of the final norm [B, T, hidden]. */
    public NDArray hidden() {
        return hidden;
    }

    public Activations activations() {
        return activations;
    }

    /** What a forward pass records and skips; immutable, built with the {@code with…} methods from {@link #options()}. */
    @RecordBuilder
    public record Options(Capture capture, Set<Integer> skipLayers, @Nullable KvCache cache, boolean computeLogits,
                          @Nullable PackedRows packing, int @Nullable [][] outputs) implements ForwardOptionsBuilder.With {
        public Options {
            skipLayers = Set.copyOf(skipLayers);
            if (outputs != null && (cache != null || !capture.isEmpty())) {
                throw new IllegalArgumentException("selected outputs take no KV cache and no captures");
            }
        }

        /** Layers to bypass (the residual stream passes through unchanged), as if they were removed. */
        public Options withSkippedLayers(Set<Integer> layers) { return withSkipLayers(layers); }
        /** Skips the LM head, e.g. for a calibration pass that only needs activations. */
        public Options withoutLogits() { return withComputeLogits(false); }
        /**
         * Only the final hidden states (and logits) of these columns [B][Q] of each row are wanted: the last layer then
         * computes its queries, attention output and MLP for those tokens alone, and {@link #hidden()} is [B, Q, d].
         * A scorer that reads a few positions of each row saves most of a layer. Null: every token.
         */
        public Options withOutputsAt(int @Nullable [][] columns) { return withOutputs(columns); }
    }

    private static final Options DEFAULT = new Options(Capture.none(), Set.of(), null, true, null, null);

    public static Options options() {
        return DEFAULT;
    }

    static Forward run(Model m, @Nullable Rope rope, NDArray ids, Options o) {
        ModelConfig c = m.config();
        if (o.cache() != null && o.packing() != null) {
            throw new IllegalArgumentException("packed rows take no KV cache");
        }
        long past = o.cache() == null ? 0 : o.cache().length();
        Model.checkTokens(c, ids);
        Model.checkLayers(c, o.skipLayers());
        Activations acts = new Activations();
        AttentionLayout layout = AttentionLayout.of(ids.getManager(), ids.getShape().get(1), past, o.packing(), o.outputs());
        Model.checkPositions(c, layout.length());
        NDArray x = embedInput(c, m, ids, layout);
        int last = lastLayer(c, o.skipLayers());
        for (int l = 0; l < c.numLayers(); l++) {
            if (!o.skipLayers().contains(l)) {
                x = layer(c, m, rope, l, x, layout, l == last, o.cache(), o.capture(), acts);
            }
        }
        if (last < 0 && layout.outputs() != null) {
            x = layout.outputs().select(x);
        }
        Forward out = output(c, m, x, o.computeLogits(), o.capture(), acts);
        if (o.cache() != null) {
            o.cache().advance(ids.getShape().get(1));
        }
        return out;
    }

    /** The input embeddings [B, T, d] of {@code ids} (plus learned positions at the layout's positions). */
    static NDArray embedInput(ModelConfig c, Weights w, NDArray ids, AttentionLayout layout) {
        NDArray x = embed(ids, w.weight(WeightNames.EMBED)); // (B, T, d)
        if (c.learnedPositions()) {
            long t = ids.getShape().get(1), past = layout.past();
            NDArray pos = layout.positions() != null ? layout.positions()
                    : ids.getManager().arange(past, past + t, 1, DataType.INT64); // (B, T) or (T)
            x = x.add(embed(pos, w.weight(WeightNames.POSITIONS)));
        }
        return x;
    }

    /** The last layer a pass computes (-1 when every layer is skipped): the one that makes the final hidden states. */
    static int lastLayer(ModelConfig c, Set<Integer> skipLayers) {
        for (int l = c.numLayers() - 1; l >= 0; l--) {
            if (!skipLayers.contains(l)) {
                return l;
            }
        }
        return -1;
    }

    /**
     * Decoder layer {@code l}: x [B, T, d] → x + attention + MLP, recording what {@code cap} asks for into {@code acts}.
     * The result and the captures belong to the caller's scope; the layer's temporaries are freed when it ends instead
     * of when the caller's scope closes (a much smaller footprint, so freed memory is reused instead of page-faulted
     * in afresh). Autograd keeps what the backward pass needs alive in libtorch.
     *
     * @param layout the tokens' positions and attention mask
     * @param last   whether this is the pass's last layer: then only the layout's wanted outputs are computed, [B, Q, d]
     */
    static NDArray layer(ModelConfig c, Weights w, @Nullable Rope rope, int l, NDArray x, AttentionLayout layout,
                         boolean last, @Nullable KvCache cache, Capture cap, Activations acts) {
        try (NDScope layer = new NDScope()) {
            record(acts, cap, Site.BLOCK_INPUT, l, x);
            boolean inference = !JniUtils.isGradMode(); // no backward: temporaries may be overwritten in place
            NDArray h = norm(c, w, WeightNames.attnNorm(l), x, inference);
            record(acts, cap, Site.ATTN_NORM, l, h);
            AttentionLayout.Outputs only = last ? layout.outputs() : null;
            NDArray residual = only == null ? x : only.select(x);
            x = plus(residual, attention(c, w, rope, l, h, layout, only, cache, cap, acts, inference));
            NDArray h2 = norm(c, w, WeightNames.mlpNorm(l), x, inference);
            record(acts, cap, Site.MLP_NORM, l, h2);
            x = plus(x, mlp(c, w, l, h2, cap, acts, inference));
            NDScope.unregister(x);
            record(acts, cap, Site.BLOCK_OUTPUT, l, x);
            return x;
        }
    }

    /**
     * residual + branch, into the branch's own output (a projection's, which no backward step reads), saving a
     * [B, T, d] allocation: the same sum, as addition commutes exactly.
     */
    private static NDArray plus(NDArray residual, NDArray branch) {
        return branch.addi(residual);
    }

    /** The final norm of the last layer's output, and the logits when asked. */
    static Forward output(ModelConfig c, Weights w, NDArray x, boolean logits, Capture cap, Activations acts) {
        NDArray hidden = norm(c, w, WeightNames.FINAL_NORM, x, !JniUtils.isGradMode());
        record(acts, cap, Site.FINAL_NORM, c.numLayers(), hidden);
        return new Forward(logits ? lmHead(c, w, hidden) : null, hidden, acts, c, w);
    }

    /** The output embedding applied to hidden states [..., d] → [..., vocab]: lm_head, or the input embedding when tied. */
    static NDArray lmHead(ModelConfig c, Weights w, NDArray hidden) {
        return linear(hidden, w.weight(c.tieWordEmbeddings() ? WeightNames.EMBED : WeightNames.LM_HEAD), null);
    }

    private static void record(Activations acts, Capture cap, Site site, int layer, NDArray a) {
        if (cap.wants(site, layer)) {
            acts.put(site, layer, a);
            NDScope.unregister(a); // outlives the layer's scope
        }
    }

    private static NDArray embed(NDArray ids, NDArray table) {
        NDArray idx = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
        return idx.getNDArrayInternal().embedding(idx, table, SparseFormat.DENSE).singletonOrThrow();
    }

    static NDArray linear(NDArray x, NDArray w, @Nullable NDArray b) {
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    private static @Nullable NDArray bias(Weights m, String prefix, boolean present) {
        return present ? m.weight(prefix + ".bias") : null;
    }

    /** The norm {@code prefix} of x [..., d]; its RMS gain applied in place when {@code inference} (no backward needs y). */
    static NDArray norm(ModelConfig c, Weights m, String prefix, NDArray x, boolean inference) {
        int last = x.getShape().dimension() - 1;
        NDArray w = m.weight(prefix + ".weight");
        switch (c.norm()) {
            case RMS: {
                NDArray inv = x.square().mean(new int[] {last}, true).add((float) c.normEps()).sqrt();
                NDArray y = x.div(inv);
                return inference ? y.muli(w) : y.mul(w);
            }
            case LAYER:
                return x.getNDArrayInternal()
                        .layerNorm(x, new Shape(x.getShape().get(last)), w, m.weight(prefix + ".bias"), (float) c.normEps())
                        .singletonOrThrow();
            case LAYER_1P: {
                NDArray mu = x.mean(new int[] {last}, true);
                NDArray xc = x.sub(mu);
                NDArray y = xc.div(xc.square().mean(new int[] {last}, true).add((float) c.normEps()).sqrt());
                return y.mul(w).add(y).add(m.weight(prefix + ".bias")); // y·(w + 1) + b
            }
            default:
                throw new IllegalStateException(c.norm().toString());
        }
    }

    /** Self-attention of h [B, T, d]; the queries are every token, or only the wanted outputs ({@code only}, [B, Q]). */
    private static NDArray attention(ModelConfig c, Weights m, @Nullable Rope rope, int l, NDArray h,
                                     AttentionLayout layout, AttentionLayout.@Nullable Outputs only,
                                     @Nullable KvCache cache, Capture cap, Activations acts, boolean inference) {
        long b = h.getShape().get(0), t = h.getShape().get(1);
        int nh = c.numAttentionHeads(), nkv = c.numKeyValueHeads(), hd = c.headDim(), g = c.groupSize();
        AttentionLayout queries = only == null ? layout : layout.ofOutputs();
        NDArray hq = only == null ? h : only.select(h);
        long tq = hq.getShape().get(1);
        NDArray q = linear(hq, m.weight(WeightNames.q(l) + ".weight"), bias(m, WeightNames.q(l), c.attentionBias()))
                .reshape(b, tq, nh, hd);
        NDArray k = linear(h, m.weight(WeightNames.k(l) + ".weight"), bias(m, WeightNames.k(l), c.attentionBias()))
                .reshape(b, t, nkv, hd);
        NDArray v = linear(h, m.weight(WeightNames.v(l) + ".weight"), bias(m, WeightNames.v(l), c.attentionBias()))
                .reshape(b, t, nkv, hd);
        if (rope != null) {
            q = rope.apply(q, queries, inference);
            k = rope.apply(k, layout, inference);
        }
        q = q.transpose(0, 2, 1, 3).reshape(b, nkv, (long) g * tq, hd); // (B, kv, g·T, hd): query head j·g+r → group j
        k = k.transpose(0, 2, 1, 3); // (B, kv, T, hd)
        v = v.transpose(0, 2, 1, 3);
        if (cache != null) {
            NDArray[] kv = cache.append(l, k, v);
            NDScope.unregister(kv); // owned by the cache, which outlives the layer's scope
            k = kv[0];
            v = kv[1];
        }
        long tk = k.getShape().get(2);
        // scaled and masked in place: the product's output is not saved for the backward pass, and the two score-sized
        // temporaries an out-of-place mul and add would allocate (and page-fault in) are not needed
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).muli(Scalars.of(q, 1.0 / Math.sqrt(hd))); // (B, kv, g·Tq, Tk)
        if (queries.mask() != null) {
            NDArray mask = queries.mask(); // (Tq, Tk) or (B, 1, 1, Tq, Tk)
            if (inference) {
                scores.reshape(b, nkv, g, tq, tk).addi(mask); // a view: adds into scores
            } else {
                // under autograd an in-place add on a view would cost the backward two copies of the scores' gradient:
                // the mask is repeated for the g query heads of a group instead, (B or 1, 1, g·Tq, Tk), and added to
                // the scores themselves
                long mb = mask.getShape().dimension() == 5 ? mask.getShape().get(0) : 1;
                scores.addi(mask.reshape(mb, 1, 1, tq, tk).broadcast(mb, 1, g, tq, tk).reshape(mb, 1, (long) g * tq, tk));
            }
        }
        NDArray out = scores.softmax(3).matMul(v) // (B, kv, g·Tq, hd)
                .reshape(b, nh, tq, hd).transpose(0, 2, 1, 3).reshape(b, tq, (long) nh * hd); // (B, Tq, heads·hd)
        record(acts, cap, Site.HEAD_OUTPUT, l, out);
        return linear(out, m.weight(WeightNames.o(l) + ".weight"), bias(m, WeightNames.o(l), c.attentionOutputBias()));
    }

    private static NDArray mlp(ModelConfig c, Weights m, int l, NDArray h, Capture cap, Activations acts,
                               boolean inference) {
        String first = c.gatedMlp() ? WeightNames.gate(l) : WeightNames.up(l);
        NDArray pre = linear(h, m.weight(first + ".weight"), bias(m, first, c.mlpBias()));
        record(acts, cap, Site.MLP_PRE_ACT, l, pre);
        NDArray a = activate(c.activation(), pre, inference);
        if (c.gatedMlp()) {
            // temporaries of [B, T, ffn] freed as soon as they are used (autograd keeps what it needs in libtorch)
            NDArray up = linear(h, m.weight(WeightNames.up(l) + ".weight"), bias(m, WeightNames.up(l), c.mlpBias()));
            NDArray product = inference ? a.muli(up) : a.mul(up);
            up.close();
            if (product != a) {
                a.close();
            }
            a = product;
        }
        record(acts, cap, Site.MLP_POST_ACT, l, a);
        return linear(a, m.weight(WeightNames.down(l) + ".weight"), bias(m, WeightNames.down(l), c.mlpBias()));
    }

    /** The activation of x (a new array; computed in place in its own temporaries when {@code inference}). */
    static NDArray activate(ModelConfig.Activation act, NDArray x, boolean inference) {
        switch (act) {
            case SILU: {
                NDArray sigmoid = ai.djl.nn.Activation.sigmoid(x);
                if (inference) {
                    return sigmoid.muli(x); // σ(x)·x: the same product as x·σ(x)
                }
                NDArray out = x.mul(sigmoid);
                sigmoid.close();
                return out;
            }
            case GELU: return ai.djl.nn.Activation.gelu(x);
            case GELU_TANH: {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                NDArray inner = x.add(x.pow(Scalars.of(x, 3)).mul(Scalars.of(x, 0.044715))).mul(Scalars.of(x, Math.sqrt(2 / Math.PI)));
                return x.mul(inner.tanh().add(1f)).mul(Scalars.of(x, 0.5));
            }
            case RELU: return ai.djl.nn.Activation.relu(x);
            case RELU2: return ai.djl.nn.Activation.relu(x).square();
            default: throw new IllegalStateException(act.toString());
        }
    }
}
