package org.minitron4j.prune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.minitron4j.JsonMappers;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.ModelConfig;

/**
 * What one pruning kept, in the original model's indices (all lists ascending): the layers, the hidden channels, and
 * per kept layer (keyed by its original index) the query heads, KV groups and MLP neurons; parameter counts before and
 * after; the configs; and the head merges when {@link PruneOptions#headResidualMerge()} was on. Enough to replay or
 * audit the surgery.
 */
public record PruneReport(
        PrunePlan plan,
        PruneOptions options,
        ModelConfig before,
        ModelConfig after,
        long parametersBefore,
        long parametersAfter,
        List<Integer> keptLayers,
        List<Integer> keptChannels,
        Map<Integer, List<Integer>> keptHeads,
        Map<Integer, List<Integer>> keptKvGroups,
        Map<Integer, List<Integer>> keptNeurons,
        List<HeadMerge> headMerges) implements HtmlRenderable {

    public PruneReport {
        keptLayers = List.copyOf(keptLayers);
        keptChannels = List.copyOf(keptChannels);
        keptHeads = sorted(keptHeads);
        keptKvGroups = sorted(keptKvGroups);
        keptNeurons = sorted(keptNeurons);
        headMerges = List.copyOf(headMerges);
    }

    private static Map<Integer, List<Integer>> sorted(Map<Integer, List<Integer>> m) {
        Map<Integer, List<Integer>> out = new LinkedHashMap<>();
        new TreeMap<>(m).forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }

    /** A pruned query head folded into a kept one of the same KV group (original head indices). */
    public record HeadMerge(int layer, int prunedHead, int intoHead, double similarity) {
    }

    /** A config value before and after. */
    public record Change(long before, long after) {
    }

    /** The config keys that changed, by their {@code config.json} name (ordered as in the config). */
    public Map<String, Change> configDiff() {
        Map<String, Change> d = new LinkedHashMap<>();
        diff(d, "hidden_size", before.hiddenSize(), after.hiddenSize());
        diff(d, "intermediate_size", before.intermediateSize(), after.intermediateSize());
        diff(d, "num_hidden_layers", before.numLayers(), after.numLayers());
        diff(d, "num_attention_heads", before.numAttentionHeads(), after.numAttentionHeads());
        diff(d, "num_key_value_heads", before.numKeyValueHeads(), after.numKeyValueHeads());
        diff(d, "head_dim", before.headDim(), after.headDim());
        return d;
    }

    private static void diff(Map<String, Change> d, String key, long a, long b) {
        if (a != b) {
            d.put(key, new Change(a, b));
        }
    }

    /** Fraction of parameters removed, in [0, 1). */
    public double compression() {
        return 1.0 - (double) parametersAfter / parametersBefore;
    }

    private static final ObjectMapper JSON = JsonMappers.shared();

    /** The report as one JSON object ({@code prune_report.json}); map keys are original layer indices. */
    public ObjectNode toJsonNode() {
        ObjectNode o = JSON.createObjectNode();
        o.set("plan", plan.toJsonNode());
        ObjectNode opt = o.putObject("options");
        opt.put("prune_kv_groups", options.pruneKvGroups());
        opt.put("head_residual_merge", options.headResidualMerge());
        opt.put("require_checkpoint_shapes", options.requireCheckpointShapes());
        o.put("parameters_before", parametersBefore);
        o.put("parameters_after", parametersAfter);
        ObjectNode diff = o.putObject("config_diff");
        configDiff().forEach((k, c) -> {
            ObjectNode x = diff.putObject(k);
            x.put("before", c.before());
            x.put("after", c.after());
        });
        o.set("config_before", before.toHuggingFace());
        o.set("config_after", after.toHuggingFace());
        list(o.putArray("kept_layers"), keptLayers);
        list(o.putArray("kept_hidden_channels"), keptChannels);
        perLayer(o.putObject("kept_heads"), keptHeads);
        perLayer(o.putObject("kept_kv_groups"), keptKvGroups);
        perLayer(o.putObject("kept_neurons"), keptNeurons);
        ArrayNode merges = o.putArray("head_merges");
        for (HeadMerge m : headMerges) {
            ObjectNode x = merges.addObject();
            x.put("layer", m.layer());
            x.put("pruned_head", m.prunedHead());
            x.put("into_head", m.intoHead());
            x.put("similarity", m.similarity());
        }
        return o;
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(toJsonNode());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void list(ArrayNode a, List<Integer> v) {
        v.forEach(a::add);
    }

    private static void perLayer(ObjectNode o, Map<Integer, List<Integer>> m) {
        m.forEach((l, v) -> list(o.putArray(String.valueOf(l)), v));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "pruned %s -> %s: %,d -> %,d parameters (-%.1f%%)", before, after,
                parametersBefore, parametersAfter, 100 * compression());
    }

    /**
     * Parameters before and after, the config diff, and how many of each axis were kept, with the kept indices
     * collapsed to their first few ({@link #toJsonNode()} has them all).
     */
    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("plan", plan.toJson());
        rows.put("parameters", String.format(Locale.ROOT, "%s \u2192 %s (\u2212%.1f%%)",
                Fragments.count(parametersBefore), Fragments.count(parametersAfter), 100 * compression()));
        configDiff().forEach((k, c) -> rows.put(k, c.before() + " \u2192 " + c.after()));
        rows.put("kept layers", kept(keptLayers, before.numLayers()));
        rows.put("kept hidden channels", kept(keptChannels, before.hiddenSize()));
        rows.put("kept heads per layer", keptPerLayer(keptHeads, before.numAttentionHeads()));
        rows.put("kept KV groups per layer", keptPerLayer(keptKvGroups, before.numKeyValueHeads()));
        rows.put("kept neurons per layer", keptPerLayer(keptNeurons, before.intermediateSize()));
        if (!headMerges.isEmpty()) {
            rows.put("head merges", headMerges.size());
        }
        return Fragments.keyValues("PruneReport", rows);
    }

    // "6 of 8: [0, 1, 2, 3, 5, 7]", long lists collapsed
    private static String kept(List<Integer> indices, int of) {
        return indices.size() + " of " + of + ": " + Fragments.text(indices);
    }

    // "4 of 8 in each of 6 layers", or the count per kept layer when they differ
    private static String keptPerLayer(Map<Integer, List<Integer>> perLayer, int of) {
        List<Integer> counts = perLayer.values().stream().map(List::size).distinct().toList();
        if (counts.size() == 1) {
            return counts.get(0) + " of " + of + " in each of " + perLayer.size() + " layers";
        }
        return perLayer.values().stream().map(List::size).toList() + " of " + of + " per kept layer";
    }
}
