package org.minitron4j.model;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The canonical tensor names and shapes of a {@link ModelConfig}: Hugging Face Llama names for every architecture
 * ({@code model.layers.3.self_attn.q_proj.weight}, weights as {@code [out, in]}), so that surgery and training see one
 * layout. {@link Checkpoints} maps architectures with other names (GPT-2) to and from these.
 */
public final class WeightNames {
    private WeightNames() {
    }

    public static final String EMBED = "model.embed_tokens.weight";
    public static final String POSITIONS = "model.embed_positions.weight";
    public static final String FINAL_NORM = "model.norm";
    public static final String LM_HEAD = "lm_head.weight";

    public static String layer(int i) {
        return "model.layers." + i + ".";
    }

    public static String q(int i) { return layer(i) + "self_attn.q_proj"; }
    public static String k(int i) { return layer(i) + "self_attn.k_proj"; }
    public static String v(int i) { return layer(i) + "self_attn.v_proj"; }
    public static String o(int i) { return layer(i) + "self_attn.o_proj"; }
    public static String gate(int i) { return layer(i) + "mlp.gate_proj"; }
    public static String up(int i) { return layer(i) + "mlp.up_proj"; }
    public static String down(int i) { return layer(i) + "mlp.down_proj"; }
    public static String attnNorm(int i) { return layer(i) + "input_layernorm"; }
    public static String mlpNorm(int i) { return layer(i) + "post_attention_layernorm"; }

    /** Whether a canonical tensor belongs to a normalisation layer (its gain or bias). */
    public static boolean isNorm(String name) {
        return name.contains("layernorm") || name.startsWith(FINAL_NORM);
    }

    /** Every tensor the config implies, in a stable order, with its shape. */
    public static Map<String, Shape> layout(ModelConfig c) {
        Map<String, Shape> m = new LinkedHashMap<>();
        long d = c.hiddenSize(), q = (long) c.numAttentionHeads() * c.headDim(), kv = (long) c.numKeyValueHeads() * c.headDim();
        long ff = c.intermediateSize();
        boolean normBias = c.norm() != ModelConfig.NormType.RMS;
        m.put(EMBED, new Shape(c.vocabSize(), d));
        if (c.learnedPositions()) {
            m.put(POSITIONS, new Shape(c.maxPositionEmbeddings(), d));
        }
        for (int i = 0; i < c.numLayers(); i++) {
            norm(m, attnNorm(i), d, normBias);
            linear(m, q(i), q, d, c.attentionBias());
            linear(m, k(i), kv, d, c.attentionBias());
            linear(m, v(i), kv, d, c.attentionBias());
            linear(m, o(i), d, q, c.attentionOutputBias());
            norm(m, mlpNorm(i), d, normBias);
            if (c.gatedMlp()) {
                linear(m, gate(i), ff, d, c.mlpBias());
            }
            linear(m, up(i), ff, d, c.mlpBias());
            linear(m, down(i), d, ff, c.mlpBias());
        }
        norm(m, FINAL_NORM, d, normBias);
        if (!c.tieWordEmbeddings()) {
            m.put(LM_HEAD, new Shape(c.vocabSize(), d));
        }
        return m;
    }

    /** Parameters of a model of this config (tied embeddings counted once): the sizes of its {@link #layout}. */
    public static long parameterCount(ModelConfig c) {
        long n = 0;
        for (Shape s : layout(c).values()) {
            n += s.size();
        }
        return n;
    }

    private static void linear(Map<String, Shape> m, String prefix, long out, long in, boolean bias) {
        m.put(prefix + ".weight", new Shape(out, in));
        if (bias) {
            m.put(prefix + ".bias", new Shape(out));
        }
    }

    private static void norm(Map<String, Shape> m, String prefix, long d, boolean bias) {
        m.put(prefix + ".weight", new Shape(d));
        if (bias) {
            m.put(prefix + ".bias", new Shape(d));
        }
    }
}
