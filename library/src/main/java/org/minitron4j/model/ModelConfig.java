package org.minitron4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;

/**
 * The immutable shape and numerics of one decoder-only transformer of the supported family (Llama 2/3/3.1, Mistral,
 * Qwen2, Nemotron-4/Minitron, GPT-2), validated once in the constructor.
 *
 * <p>Names follow Hugging Face's {@code config.json}. {@code headDim} is independent of {@code hiddenSize /
 * numAttentionHeads}, as in Minitron-4B-Width (hidden 3072, 32 heads of 128). Build one with {@link
 * #fromHuggingFace(Path)}, {@link #llama(int, int, int, int, int, int)} or a {@code with…} copy.
 */
public record ModelConfig(
        Architecture architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int maxPositionEmbeddings,
        NormType norm,
        double normEps,
        Activation activation,
        boolean gatedMlp,
        boolean learnedPositions,
        double ropeTheta,
        double partialRotaryFactor,
        @Nullable RopeScaling ropeScaling,
        boolean attentionBias,
        boolean attentionOutputBias,
        boolean mlpBias,
        boolean tieWordEmbeddings,
        @Nullable Integer bosTokenId,
        @Nullable Integer eosTokenId) implements HtmlRenderable {

    /** The checkpoint families: each fixes tensor names and the HF {@code architectures}/{@code model_type}. */
    public enum Architecture {
        LLAMA("LlamaForCausalLM", "llama"),
        MISTRAL("MistralForCausalLM", "mistral"),
        QWEN2("Qwen2ForCausalLM", "qwen2"),
        NEMOTRON("NemotronForCausalLM", "nemotron"),
        GPT2("GPT2LMHeadModel", "gpt2");

        public final String hfClass;
        public final String modelType;

        Architecture(String hfClass, String modelType) {
            this.hfClass = hfClass;
            this.modelType = modelType;
        }

        static Architecture fromHuggingFace(String modelType, String hfClass, Path source) {
            for (Architecture a : values()) {
                if (a.modelType.equals(modelType) || a.hfClass.equals(hfClass)) {
                    return a;
                }
            }
            throw new InvalidInputException(source + ": unsupported architecture (model_type '" + modelType
                    + "', architectures '" + hfClass + "'); supported model types: llama, mistral, qwen2, nemotron, gpt2");
        }
    }

    /** Normalisation layers: RMSNorm, LayerNorm, and Nemotron's LayerNorm with a zero-centred gain ({@code w + 1}). */
    public enum NormType {
        RMS, LAYER, LAYER_1P;

        /** The stored gain that scales by one: 1, or 0 for LAYER_1P, which multiplies by {@code w + 1}. */
        public float unitGain() {
            return this == LAYER_1P ? 0f : 1f;
        }
    }

    /** MLP activations by their HF names. */
    public enum Activation {
        SILU("silu"), GELU("gelu"), GELU_TANH("gelu_new"), RELU("relu"), RELU2("relu2");

        public final String hfName;

        Activation(String hfName) {
            this.hfName = hfName;
        }

        static Activation fromHuggingFace(String name, Path source) {
            switch (name) {
                case "silu": case "swish": return SILU;
                case "gelu": return GELU;
                case "gelu_new": case "gelu_pytorch_tanh": case "gelu_fast": return GELU_TANH;
                case "relu": return RELU;
                case "relu2": return RELU2;
                default: throw new InvalidInputException(source + ": unsupported activation '" + name
                        + "' (supported: silu, gelu, gelu_new, gelu_pytorch_tanh, relu, relu2)");
            }
        }
    }

    /** Llama-3.1 style frequency-dependent RoPE scaling ({@code rope_scaling.rope_type = "llama3"}). */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {
        public RopeScaling {
            if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalMaxPositionEmbeddings <= 0) {
                throw new InvalidInputException("rope_scaling: need factor > 0, 0 < low_freq_factor < high_freq_factor and"
                        + " original_max_position_embeddings > 0, got " + this);
            }
        }
    }

    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(norm, "norm");
        Objects.requireNonNull(activation, "activation");
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("head_dim", headDim);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new InvalidInputException("num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (!(normEps > 0)) {
            throw new InvalidInputException("norm epsilon must be > 0, got " + normEps);
        }
        if (!learnedPositions) {
            if (!(ropeTheta > 0)) {
                throw new InvalidInputException("rope_theta must be > 0, got " + ropeTheta);
            }
            if (!(partialRotaryFactor > 0 && partialRotaryFactor <= 1)) {
                throw new InvalidInputException("partial_rotary_factor must be in (0, 1], got " + partialRotaryFactor);
            }
            int rot = (int) Math.round(headDim * partialRotaryFactor); // fields are not assigned yet
            if (rot % 2 != 0 || rot == 0) {
                throw new InvalidInputException("rotary dimension head_dim * partial_rotary_factor = " + rot + " must be even and > 0");
            }
        }
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new InvalidInputException(key + " must be > 0, got " + value);
        }
    }

    /** Query heads per KV group. */
    public int groupSize() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** The most positions one forward pass takes: max_position_embeddings with learned positions, unbounded with RoPE. */
    public int maxSequenceLength() {
        return learnedPositions ? maxPositionEmbeddings : Integer.MAX_VALUE;
    }

    /** Channels of each head that RoPE rotates ({@code head_dim × partial_rotary_factor}). */
    public int rotaryDim() {
        return (int) Math.round(headDim * partialRotaryFactor);
    }

    /** Exact number of parameters, from the closed-form count of every tensor the architecture has. */
    public long parameterCount() {
        long d = hiddenSize, q = (long) numAttentionHeads * headDim, kv = (long) numKeyValueHeads * headDim;
        long ff = intermediateSize;
        long normParams = norm == NormType.RMS ? d : 2 * d;
        long attn = d * q + 2 * d * kv + q * d + (attentionBias ? q + 2 * kv : 0) + (attentionOutputBias ? d : 0);
        long mlp = (gatedMlp ? 2 : 1) * d * ff + ff * d + (mlpBias ? (gatedMlp ? 2 : 1) * ff + d : 0);
        long layer = attn + mlp + 2 * normParams;
        long embed = (long) vocabSize * d + (learnedPositions ? (long) maxPositionEmbeddings * d : 0);
        long head = tieWordEmbeddings ? 0 : (long) vocabSize * d;
        return numLayers * layer + embed + normParams + head;
    }

    // ---- named constructors ------------------------------------------------------------------------------------

    /** A Llama-style config (RMSNorm, SwiGLU, RoPE θ = 10000, untied head, head_dim = hidden / heads). */
    public static ModelConfig llama(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numAttentionHeads,
                                    int numKeyValueHeads) {
        if (numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0) {
            throw new InvalidInputException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
                    + numAttentionHeads + "; use withHeadDim for an explicit head_dim");
        }
        return new ModelConfig(Architecture.LLAMA, vocabSize, hiddenSize, intermediateSize, numLayers, numAttentionHeads,
                numKeyValueHeads, hiddenSize / numAttentionHeads, 2048, NormType.RMS, 1e-5, Activation.SILU, true, false,
                10000.0, 1.0, null, false, false, false, false, null, null);
    }

    public ModelConfig withVocabSize(int v) { return new Builder(this).vocabSize(v).build(); }
    public ModelConfig withHiddenSize(int v) { return new Builder(this).hiddenSize(v).build(); }
    public ModelConfig withIntermediateSize(int v) { return new Builder(this).intermediateSize(v).build(); }
    public ModelConfig withNumLayers(int v) { return new Builder(this).numLayers(v).build(); }
    public ModelConfig withHeads(int attention, int keyValue) { return new Builder(this).heads(attention, keyValue).build(); }
    public ModelConfig withHeadDim(int v) { return new Builder(this).headDim(v).build(); }
    public ModelConfig withTiedEmbeddings(boolean v) { return new Builder(this).tieWordEmbeddings(v).build(); }
    public ModelConfig withMaxPositionEmbeddings(int v) { return new Builder(this).maxPositionEmbeddings(v).build(); }
    public ModelConfig withRope(double theta, @Nullable RopeScaling scaling) { return new Builder(this).rope(theta, scaling).build(); }
    public ModelConfig withTokenIds(@Nullable Integer bos, @Nullable Integer eos) { return new Builder(this).tokenIds(bos, eos).build(); }

    /** A mutable copy used by the {@code with…} methods; every {@link #build()} revalidates. */
    public static final class Builder {
        private Architecture architecture;
        private int vocabSize, hiddenSize, intermediateSize, numLayers, numAttentionHeads, numKeyValueHeads, headDim,
                maxPositionEmbeddings;
        private NormType norm;
        private double normEps, ropeTheta, partialRotaryFactor;
        private Activation activation;
        private boolean gatedMlp, learnedPositions, attentionBias, attentionOutputBias, mlpBias, tieWordEmbeddings;
        private @Nullable RopeScaling ropeScaling;
        private @Nullable Integer bosTokenId, eosTokenId;

        public Builder(ModelConfig c) {
            architecture = c.architecture; vocabSize = c.vocabSize; hiddenSize = c.hiddenSize;
            intermediateSize = c.intermediateSize; numLayers = c.numLayers; numAttentionHeads = c.numAttentionHeads;
            numKeyValueHeads = c.numKeyValueHeads; headDim = c.headDim; maxPositionEmbeddings = c.maxPositionEmbeddings;
            norm = c.norm; normEps = c.normEps; activation = c.activation; gatedMlp = c.gatedMlp;
            learnedPositions = c.learnedPositions; ropeTheta = c.ropeTheta; partialRotaryFactor = c.partialRotaryFactor;
            ropeScaling = c.ropeScaling; attentionBias = c.attentionBias; attentionOutputBias = c.attentionOutputBias;
            mlpBias = c.mlpBias; tieWordEmbeddings = c.tieWordEmbeddings; bosTokenId = c.bosTokenId; eosTokenId = c.eosTokenId;
        }

        public Builder vocabSize(int v) { vocabSize = v; return this; }
        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder numLayers(int v) { numLayers = v; return this; }
        public Builder heads(int attention, int keyValue) { numAttentionHeads = attention; numKeyValueHeads = keyValue; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder maxPositionEmbeddings(int v) { maxPositionEmbeddings = v; return this; }
        public Builder tieWordEmbeddings(boolean v) { tieWordEmbeddings = v; return this; }
        public Builder rope(double theta, @Nullable RopeScaling scaling) { ropeTheta = theta; ropeScaling = scaling; return this; }
        public Builder tokenIds(@Nullable Integer bos, @Nullable Integer eos) { bosTokenId = bos; eosTokenId = eos; return this; }
        public Builder normEps(double v) { normEps = v; return this; }

        public ModelConfig build() {
            return new ModelConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numAttentionHeads,
                    numKeyValueHeads, headDim, maxPositionEmbeddings, norm, normEps, activation, gatedMlp, learnedPositions,
                    ropeTheta, partialRotaryFactor, ropeScaling, attentionBias, attentionOutputBias, mlpBias,
                    tieWordEmbeddings, bosTokenId, eosTokenId);
        }
    }

    // ---- Hugging Face config.json ------------------------------------------------------------------------------

    private static final ObjectMapper JSON = JsonMappers.shared();

    /** Reads {@code config.json} from a model folder (or the file itself). */
    public static ModelConfig fromHuggingFace(Path dirOrFile) {
        return fromJson(readJson(dirOrFile), configFile(dirOrFile));
    }

    /** {@code config.json} of a model folder, or the file itself. */
    static Path configFile(Path dirOrFile) {
        return Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
    }

    /**
     * The JSON object of {@link #configFile}, every key kept.
     *
     * @throws InvalidInputException naming the file if it is missing, not JSON or not an object
     */
    static ObjectNode readJson(Path dirOrFile) {
        Path file = configFile(dirOrFile);
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(file + ": config.json not found (is " + dirOrFile + " a Hugging Face model folder?)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidInputException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException(file + ": expected a JSON object");
        }
        return (ObjectNode) root;
    }

    static ModelConfig fromJson(JsonNode c, Path file) {
        String hfClass = c.path("architectures").path(0).asText("");
        Architecture arch = Architecture.fromHuggingFace(c.path("model_type").asText(""), hfClass, file);
        Reader r = new Reader(c, file);
        try {
            if (arch == Architecture.GPT2) {
                int d = r.integer("n_embd");
                int heads = r.integer("n_head");
                int inner = c.hasNonNull("n_inner") ? r.integer("n_inner") : 4 * d;
                if (d % heads != 0) {
                    throw new InvalidInputException(file + ": n_embd " + d + " is not divisible by n_head " + heads);
                }
                return new ModelConfig(arch, r.integer("vocab_size"), d, inner, r.integer("n_layer"), heads, heads, d / heads,
                        r.integer("n_positions"), NormType.LAYER, r.real("layer_norm_epsilon", 1e-5),
                        Activation.fromHuggingFace(c.path("activation_function").asText("gelu_new"), file), false, true,
                        10000.0, 1.0, null, true, true, true, c.path("tie_word_embeddings").asBoolean(true),
                        r.optInteger("bos_token_id"), r.optInteger("eos_token_id"));
            }
            int d = r.integer("hidden_size");
            int heads = r.integer("num_attention_heads");
            int kvHeads = c.hasNonNull("num_key_value_heads") ? r.integer("num_key_value_heads") : heads;
            int headDim = c.hasNonNull("head_dim") ? r.integer("head_dim") : d / heads;
            if (!c.hasNonNull("head_dim") && d % heads != 0) {
                throw new InvalidInputException(file + ": hidden_size " + d + " is not divisible by num_attention_heads "
                        + heads + " and head_dim is not given");
            }
            boolean nemotron = arch == Architecture.NEMOTRON;
            NormType norm = nemotron ? NormType.LAYER_1P : NormType.RMS;
            double eps = nemotron ? r.real("norm_eps", 1e-5) : r.real("rms_norm_eps", 1e-6);
            String act = c.path("hidden_act").asText(nemotron ? "relu2" : "silu");
            boolean qkvBias = arch == Architecture.QWEN2 || c.path("attention_bias").asBoolean(false);
            boolean oBias = arch != Architecture.QWEN2 && c.path("attention_bias").asBoolean(false);
            return new ModelConfig(arch, r.integer("vocab_size"), d, r.integer("intermediate_size"),
                    r.integer("num_hidden_layers"), heads, kvHeads, headDim, r.integer("max_position_embeddings"), norm, eps,
                    Activation.fromHuggingFace(act, file), !nemotron, false, r.real("rope_theta", 10000.0),
                    r.real("partial_rotary_factor", 1.0), ropeScaling(c.path("rope_scaling"), file),
                    qkvBias, oBias, c.path("mlp_bias").asBoolean(false), c.path("tie_word_embeddings").asBoolean(false),
                    r.optInteger("bos_token_id"), r.optInteger("eos_token_id"));
        } catch (InvalidInputException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : new InvalidInputException(file + ": " + e.getMessage(), e);
        }
    }

    private static @Nullable RopeScaling ropeScaling(@Nullable JsonNode s, Path file) {
        if (s == null || s.isNull() || s.isMissingNode()) {
            return null;
        }
        String type = s.path("rope_type").asText(s.path("type").asText(""));
        if (type.equals("default")) {
            return null;
        }
        if (!type.equals("llama3")) {
            throw new InvalidInputException(file + ": unsupported rope_scaling type '" + type + "' (supported: llama3)");
        }
        Reader r = new Reader(s, file);
        return new RopeScaling(r.real("factor", Double.NaN), r.real("low_freq_factor", Double.NaN),
                r.real("high_freq_factor", Double.NaN), r.integer("original_max_position_embeddings"));
    }

    /** Typed access to config keys with errors that name the file and the key. */
    private record Reader(JsonNode node, Path file) {
        int integer(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw new InvalidInputException(file + ": missing key '" + key + "'");
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                throw new InvalidInputException(file + ": key '" + key + "' must be an integer, got " + v);
            }
            return v.intValue();
        }

        Integer optInteger(String key) {
            JsonNode v = node.get(key);
            if (v != null && v.isArray()) {
                v = v.path(0); // some configs list several EOS ids: the first is the canonical one
            }
            return v == null || !v.isIntegralNumber() ? null : v.intValue();
        }

        double real(String key, double fallback) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                if (Double.isNaN(fallback)) {
                    throw new InvalidInputException(file + ": missing key '" + key + "'");
                }
                return fallback;
            }
            if (!v.isNumber()) {
                throw new InvalidInputException(file + ": key '" + key + "' must be a number, got " + v);
            }
            return v.doubleValue();
        }
    }

    /** The config as Hugging Face {@code config.json} keys, for saving a (possibly pruned) model. */
    public ObjectNode toHuggingFace() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(architecture.hfClass);
        c.put("model_type", architecture.modelType);
        if (architecture == Architecture.GPT2) {
            c.put("vocab_size", vocabSize);
            c.put("n_embd", hiddenSize);
            c.put("n_inner", intermediateSize);
            c.put("n_layer", numLayers);
            c.put("n_head", numAttentionHeads);
            c.put("n_positions", maxPositionEmbeddings);
            c.put("n_ctx", maxPositionEmbeddings);
            c.put("layer_norm_epsilon", normEps);
            c.put("activation_function", activation.hfName);
        } else {
            c.put("vocab_size", vocabSize);
            c.put("hidden_size", hiddenSize);
            c.put("intermediate_size", intermediateSize);
            c.put("num_hidden_layers", numLayers);
            c.put("num_attention_heads", numAttentionHeads);
            c.put("num_key_value_heads", numKeyValueHeads);
            c.put("head_dim", headDim);
            c.put("max_position_embeddings", maxPositionEmbeddings);
            c.put(norm == NormType.RMS ? "rms_norm_eps" : "norm_eps", normEps);
            c.put("hidden_act", activation.hfName);
            c.put("rope_theta", ropeTheta);
            if (partialRotaryFactor != 1.0 || architecture == Architecture.NEMOTRON) {
                c.put("partial_rotary_factor", partialRotaryFactor);
            }
            if (ropeScaling == null) {
                c.putNull("rope_scaling");
            } else {
                ObjectNode s = c.putObject("rope_scaling");
                s.put("rope_type", "llama3");
                s.put("factor", ropeScaling.factor());
                s.put("low_freq_factor", ropeScaling.lowFreqFactor());
                s.put("high_freq_factor", ropeScaling.highFreqFactor());
                s.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
            if (architecture != Architecture.QWEN2) {
                c.put("attention_bias", attentionBias);
            }
            c.put("mlp_bias", mlpBias);
        }
        c.put("tie_word_embeddings", tieWordEmbeddings);
        if (bosTokenId != null) c.put("bos_token_id", bosTokenId);
        if (eosTokenId != null) c.put("eos_token_id", eosTokenId);
        c.put("torch_dtype", "float32");
        return c;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s(vocab=%d, hidden=%d, ffn=%d, layers=%d, heads=%d, kv_heads=%d, head_dim=%d)",
                architecture.modelType, vocabSize, hiddenSize, intermediateSize, numLayers, numAttentionHeads,
                numKeyValueHeads, headDim);
    }

    /** Shape and exact parameter count, as a notebook shows a config. */
    @Override
    public String toHtml() {
        return Fragments.keyValues("ModelConfig", summaryRows(parameterCount()));
    }

    /** The rows of {@link #toHtml()} with {@code parameters} (a {@link Model} adds its device). */
    Map<String, Object> summaryRows(long parameters) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("architecture", architecture);
        rows.put("parameters", Fragments.count(parameters) + " (" + parameters + ")");
        rows.put("numLayers", numLayers);
        rows.put("hiddenSize", hiddenSize);
        rows.put("intermediateSize", intermediateSize);
        rows.put("numAttentionHeads", numAttentionHeads);
        rows.put("numKeyValueHeads", numKeyValueHeads);
        rows.put("headDim", headDim);
        rows.put("vocabSize", vocabSize);
        rows.put("maxPositionEmbeddings", maxPositionEmbeddings);
        rows.put("tieWordEmbeddings", tieWordEmbeddings);
        return rows;
    }
}
