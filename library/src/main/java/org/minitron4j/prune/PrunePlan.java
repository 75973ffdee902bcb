package org.minitron4j.prune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.model.ModelConfig;

/**
 * Target sizes for pruning, named after the model config: {@code hiddenSize}, {@code intermediateSize}, {@code
 * numAttentionHeads}, {@code numKeyValueHeads}, {@code numLayers}, or an explicit list of layers to drop. A null size
 * keeps that axis as it is; {@code head_dim} never changes.
 *
 * <p>Built fluently ({@code PrunePlan.builder().hiddenSize(96).numLayers(4).build()}) or parsed from JSON/a map with
 * the keys {@code hidden_size, intermediate_size, num_attention_heads, num_key_value_heads, num_layers, drop_layers}
 * (camelCase spellings accepted too; unknown keys are rejected). Checks that need no model run in the constructor;
 * {@link #validate(ModelConfig)} checks the plan against a model.
 */
public record PrunePlan(@Nullable Integer hiddenSize, @Nullable Integer intermediateSize,
                        @Nullable Integer numAttentionHeads, @Nullable Integer numKeyValueHeads,
                        @Nullable Integer numLayers, @Nullable List<Integer> dropLayers) {

    private static final ObjectMapper JSON = JsonMappers.shared();

    /** JSON key → field, both spellings. */
    private static final Map<String, String> KEYS = new LinkedHashMap<>();

    static {
        for (String[] k : new String[][] {{"hidden_size", "hiddenSize"}, {"intermediate_size", "intermediateSize"},
            {"num_attention_heads", "numAttentionHeads"}, {"num_key_value_heads", "numKeyValueHeads"},
            {"num_layers", "numLayers"}, {"drop_layers", "dropLayers"}}) {
            KEYS.put(k[0], k[0]);
            KEYS.put(k[1], k[0]);
        }
    }

    public PrunePlan {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("num_layers", numLayers);
        if (dropLayers != null && dropLayers.isEmpty()) {
            dropLayers = null;
        }
        if (dropLayers != null) {
            if (numLayers != null) {
                throw new InvalidInputException("give num_layers (" + numLayers + ") or drop_layers (" + dropLayers
                        + "), not both");
            }
            TreeSet<Integer> seen = new TreeSet<>();
            for (Integer l : dropLayers) {
                if (l == null || l < 0) {
                    throw new InvalidInputException("drop_layers: layer " + l + " must be >= 0");
                }
                if (!seen.add(l)) {
                    throw new InvalidInputException("drop_layers: layer " + l + " is listed twice in " + dropLayers);
                }
            }
            dropLayers = List.copyOf(seen); // ascending
        }
    }

    private static void positive(String key, Integer v) {
        if (v != null && v <= 0) {
            throw new InvalidInputException(key + " must be > 0, got " + v);
        }
    }

    /** A plan that keeps everything (validating it against a model is a no-op). */
    public static PrunePlan none() {
        return new PrunePlan(null, null, null, null, null, null);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Fluent construction; {@link #build()} validates. */
    public static final class Builder {
        private @Nullable Integer hiddenSize, intermediateSize, numAttentionHeads, numKeyValueHeads, numLayers;
        private @Nullable List<Integer> dropLayers;

        private Builder() {
        }

        public Builder hiddenSize(int v) { hiddenSize = v; return this; }
        public Builder intermediateSize(int v) { intermediateSize = v; return this; }
        public Builder numAttentionHeads(int v) { numAttentionHeads = v; return this; }
        public Builder numKeyValueHeads(int v) { numKeyValueHeads = v; return this; }
        /** Keep this many layers, the top ones by {@code layerScores}. */
        public Builder numLayers(int v) { numLayers = v; return this; }
        /** Drop exactly these layers (0-based). */
        public Builder dropLayers(List<Integer> layers) { dropLayers = new ArrayList<>(layers); return this; }
        /** Drop the contiguous block {@code first..last}, both inclusive (e.g. 16..31 of 32 layers). */
        public Builder dropLayerRange(int first, int last) {
            if (last < first) {
                throw new InvalidInputException("drop layer range " + first + "-" + last + " is empty (last < first)");
            }
            dropLayers = new ArrayList<>();
            for (int l = first; l <= last; l++) {
                dropLayers.add(l);
            }
            return this;
        }

        public PrunePlan build() {
            return new PrunePlan(hiddenSize, intermediateSize, numAttentionHeads, numKeyValueHeads, numLayers, dropLayers);
        }
    }

    /**
     * Checks the plan against a model config: no axis may grow, query heads must split evenly over the KV groups
     * kept, every KV group keeps the same number of query heads (at most as many as it had), dropped layers must
     * exist and leave at least one. Throws {@link InvalidInputException} naming the key and value.
     */
    public void validate(ModelConfig c) {
        notLarger("hidden_size", hiddenSize, c.hiddenSize());
        notLarger("intermediate_size", intermediateSize, c.intermediateSize());
        notLarger("num_attention_heads", numAttentionHeads, c.numAttentionHeads());
        notLarger("num_key_value_heads", numKeyValueHeads, c.numKeyValueHeads());
        notLarger("num_layers", numLayers, c.numLayers());
        int heads = heads(c), kv = keyValueHeads(c);
        if (heads % kv != 0) {
            throw new InvalidInputException("num_attention_heads " + heads + " cannot be split evenly over "
                    + kv + " KV groups (num_key_value_heads); each group keeps the same number of query heads");
        }
        if (heads / kv > c.groupSize()) {
            throw new InvalidInputException("num_attention_heads " + heads + " over num_key_value_heads " + kv + " needs "
                    + heads / kv + " query heads per KV group, but the model's groups have " + c.groupSize());
        }
        if (dropLayers != null) {
            for (int l : dropLayers) {
                if (l >= c.numLayers()) {
                    throw new InvalidInputException("drop_layers: layer " + l + " does not exist (model has "
                            + c.numLayers() + " layers, 0-" + (c.numLayers() - 1) + ")");
                }
            }
            if (dropLayers.size() >= c.numLayers()) {
                throw new InvalidInputException("drop_layers " + dropLayers + " would drop all " + c.numLayers() + " layers");
            }
        }
    }

    private static void notLarger(String key, Integer v, int current) {
        if (v != null && v > current) {
            throw new InvalidInputException(key + " " + v + " is larger than the model's " + current
                    + " (pruning only removes)");
        }
    }

    /** Query heads after pruning. */
    int heads(ModelConfig c) {
        return numAttentionHeads != null ? numAttentionHeads : c.numAttentionHeads();
    }

    /**
     * KV heads after pruning: as given; else unchanged, except that a multi-head (not grouped) model stays
     * multi-head when its heads are pruned (each head is its own KV group).
     */
    int keyValueHeads(ModelConfig c) {
        if (numKeyValueHeads != null) {
            return numKeyValueHeads;
        }
        if (c.numKeyValueHeads() == c.numAttentionHeads()) {
            return heads(c);
        }
        return c.numKeyValueHeads();
    }

    /** The config of the pruned model (validates first). */
    public ModelConfig targetConfig(ModelConfig c) {
        validate(c);
        int layers = numLayers != null ? numLayers : dropLayers != null ? c.numLayers() - dropLayers.size() : c.numLayers();
        return new ModelConfig.Builder(c)
                .hiddenSize(hiddenSize != null ? hiddenSize : c.hiddenSize())
                .intermediateSize(intermediateSize != null ? intermediateSize : c.intermediateSize())
                .heads(heads(c), keyValueHeads(c))
                .numLayers(layers)
                .build();
    }

    // ---- JSON ------------------------------------------------------------------------------------------------------

    /** The plan as its JSON, e.g. {@code PrunePlan{"hidden_size":136,"intermediate_size":360}}. */
    @Override
    public String toString() {
        return "PrunePlan" + toJson();
    }

    /** The plan as a JSON object with snake_case keys; only the axes it changes. */
    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As {@link #toJson()}, as a Jackson node (for embedding in reports). */
    public ObjectNode toJsonNode() {
        ObjectNode o = JSON.createObjectNode();
        if (hiddenSize != null) o.put("hidden_size", hiddenSize);
        if (intermediateSize != null) o.put("intermediate_size", intermediateSize);
        if (numAttentionHeads != null) o.put("num_attention_heads", numAttentionHeads);
        if (numKeyValueHeads != null) o.put("num_key_value_heads", numKeyValueHeads);
        if (numLayers != null) o.put("num_layers", numLayers);
        if (dropLayers != null) {
            ArrayNode a = o.putArray("drop_layers");
            dropLayers.forEach(a::add);
        }
        return o;
    }

    /** Parses {@link #toJson()}'s format; unknown keys and non-integer values are rejected by name. */
    public static PrunePlan fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("prune plan is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("prune plan must be a JSON object, got " + json);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isArray()) {
                List<Object> list = new ArrayList<>();
                v.forEach(x -> list.add(x.isIntegralNumber() && x.canConvertToInt() ? (Object) x.intValue() : x.toString()));
                map.put(e.getKey(), list);
            } else if (v.isNull()) {
                map.put(e.getKey(), null);
            } else {
                map.put(e.getKey(), v.isIntegralNumber() && v.canConvertToInt() ? (Object) v.intValue() : v.toString());
            }
        }
        return fromMap(map);
    }

    /**
     * Builds a plan from keys and values (e.g. a Kotlin {@code mapOf("hidden_size" to 96)}); integers may be any
     * integral {@link Number}; {@code drop_layers} a list of them; a null value keeps that axis.
     */
    public static PrunePlan fromMap(Map<String, ?> map) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : map.entrySet()) {
            String key = KEYS.get(e.getKey());
            if (key == null) {
                throw new InvalidInputException("unknown prune plan key '" + e.getKey() + "' (known: hidden_size, "
                        + "intermediate_size, num_attention_heads, num_key_value_heads, num_layers, drop_layers)");
            }
            if (v.containsKey(key)) {
                throw new InvalidInputException("prune plan key '" + e.getKey() + "' is given twice (as " + key + ")");
            }
            v.put(key, e.getValue());
        }
        List<Integer> drop = null;
        Object d = v.get("drop_layers");
        if (d != null) {
            if (!(d instanceof List<?> list)) {
                throw new InvalidInputException("drop_layers must be a list of layer indices, got " + d);
            }
            drop = new ArrayList<>();
            for (Object x : list) {
                drop.add(integer("drop_layers", x));
            }
        }
        return new PrunePlan(integer("hidden_size", v.get("hidden_size")),
                integer("intermediate_size", v.get("intermediate_size")),
                integer("num_attention_heads", v.get("num_attention_heads")),
                integer("num_key_value_heads", v.get("num_key_value_heads")),
                integer("num_layers", v.get("num_layers")), drop);
    }

    private static @Nullable Integer integer(String key, @Nullable Object x) {
        if (x == null) {
            return null;
        }
        if (x instanceof Integer || x instanceof Long || x instanceof Short || x instanceof Byte) {
            long l = ((Number) x).longValue();
            if (l == (int) l) {
                return (int) l;
            }
        }
        throw new InvalidInputException(key + " must be an integer, got " + x);
    }
}
