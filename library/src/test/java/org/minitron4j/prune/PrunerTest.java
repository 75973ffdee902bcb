package org.minitron4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

class PrunerTest {
    /** 8 query heads in 2 KV groups of 4. */
    static final ModelConfig GQA = ModelConfig.llama(64, 32, 48, 2, 8, 2).withHeadDim(8);

    // ---- hidden channels: an independent re-implementation of the slicing -----------------------------------------

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.*)");

    /** Rows to keep of a q/k/v/o axis: every channel of each kept head, written independently of the pruner. */
    static int[] headChannels(List<Integer> heads, int hd) {
        List<Integer> out = new ArrayList<>();
        for (int h : heads) {
            for (int x = h * hd; x < (h + 1) * hd; x++) {
                out.add(x);
            }
        }
        return out.stream().mapToInt(i -> i).toArray();
    }

    /** What the pruned tensor {@code name} must hold, gathered from the original by name-driven rules. */
    static float[] expected(String name, Map<String, float[]> orig, ModelConfig c, PruneReport r) {
        int[] ch = r.keptChannels().stream().mapToInt(i -> i).toArray();
        Matcher m = LAYER.matcher(name);
        if (!m.matches()) {
            float[] w = orig.get(name);
            if (name.startsWith(WeightNames.FINAL_NORM)) {
                return gather(w, 1, c.hiddenSize(), new int[] {0}, ch);
            }
            int rows = w.length / c.hiddenSize(); // embedding, positions, lm_head: [rows, hidden]
            return gather(w, rows, c.hiddenSize(), range(rows), ch);
        }
        int orl = r.keptLayers().get(Integer.parseInt(m.group(1)));
        String part = m.group(2);
        float[] w = orig.get("model.layers." + orl + "." + part);
        int[] q = headChannels(r.keptHeads().get(orl), c.headDim());
        int[] kv = headChannels(r.keptKvGroups().get(orl), c.headDim());
        int[] n = r.keptNeurons().get(orl).stream().mapToInt(i -> i).toArray();
        int d = c.hiddenSize(), ff = c.intermediateSize(), qAll = c.numAttentionHeads() * c.headDim(),
                kvAll = c.numKeyValueHeads() * c.headDim();
        boolean bias = part.endsWith(".bias");
        if (part.contains("layernorm")) return gather(w, 1, d, new int[] {0}, ch);
        if (part.startsWith("self_attn.q_proj")) return bias ? gather(w, 1, qAll, new int[] {0}, q) : gather(w, qAll, d, q, ch);
        if (part.startsWith("self_attn.k_proj") || part.startsWith("self_attn.v_proj")) {
            return bias ? gather(w, 1, kvAll, new int[] {0}, kv) : gather(w, kvAll, d, kv, ch);
        }
        if (part.startsWith("self_attn.o_proj")) return bias ? gather(w, 1, d, new int[] {0}, ch) : gather(w, d, qAll, ch, q);
        if (part.startsWith("mlp.gate_proj") || part.startsWith("mlp.up_proj")) {
            return bias ? gather(w, 1, ff, new int[] {0}, n) : gather(w, ff, d, n, ch);
        }
        if (part.startsWith("mlp.down_proj")) return bias ? gather(w, 1, d, new int[] {0}, ch) : gather(w, d, ff, ch, n);
        throw new AssertionError("no rule for " + name);
    }

    static int[] range(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    static float[] gather(float[] w, int rows, int cols, int[] r, int[] k) {
        assertEquals(rows * cols, w.length);
        float[] out = new float[r.length * k.length];
        int o = 0;
        for (int i : r) {
            for (int j : k) {
                out[o++] = w[i * cols + j];
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void everyPrunedTensorMatchesAnIndependentSlicingOfTheOriginal(String arch) {
        try (Model m = Weights.fixture(arch);
             PruneResult r = Pruner.prune(m, PrunerExactnessTest.everyAxis(m.config()), FixedRanking.random(m.config(), 7))) {
            Map<String, float[]> orig = Weights.floats(m);
            List<Integer> ch = r.report().keptChannels();
            assertNotEquals(java.util.stream.IntStream.range(0, ch.size()).boxed().toList(), ch, "kept channels are not a prefix");
            assertEquals(WeightNames.layout(r.model().config()).keySet(), r.model().weights().keySet());
            r.model().weights().forEach((name, w) ->
                    assertArrayEquals(expected(name, orig, m.config(), r.report()), w.toFloatArray(), name));
        }
    }

    /**
     * A model whose channels Z are zero in every weight keeps them zero in the residual stream. Pruning Z then changes
     * only RMSNorm's statistic: mean(x²) over d becomes a mean over d' = d − |Z|, i.e. rms_d = sqrt(d'/d)·sqrt(S/d' +
     * eps·d/d'). Scaling the pruned model's norm gains by sqrt(d/d') and its eps by d/d' (no index changes) must give
     * the zero-channel model's logits.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2"})
    void pruningExactlyZeroChannelsOfAnRmsNormModelKeepsItsLogits(String arch) {
        try (Model m = Weights.fixture(arch)) {
            ModelConfig c = m.config();
            int d = c.hiddenSize(), hd = c.headDim(), ff = c.intermediateSize(), zn = 8, dNew = d - zn;
            List<Integer> zero = List.of(1, 4, 5, 11, 17, 20, 26, d - 1);
            Map<String, float[]> w = Weights.floats(m);
            int qAll = c.numAttentionHeads() * hd, kvAll = c.numKeyValueHeads() * hd;
            for (int j : zero) {
                Weights.zeroColumn(w.get(WeightNames.EMBED), c.vocabSize(), d, j);
                if (!c.tieWordEmbeddings()) Weights.zeroColumn(w.get(WeightNames.LM_HEAD), c.vocabSize(), d, j);
                w.get(WeightNames.FINAL_NORM + ".weight")[j] = 0;
                for (int l = 0; l < c.numLayers(); l++) {
                    w.get(WeightNames.attnNorm(l) + ".weight")[j] = 0;
                    w.get(WeightNames.mlpNorm(l) + ".weight")[j] = 0;
                    Weights.zeroColumn(w.get(WeightNames.q(l) + ".weight"), qAll, d, j);
                    Weights.zeroColumn(w.get(WeightNames.k(l) + ".weight"), kvAll, d, j);
                    Weights.zeroColumn(w.get(WeightNames.v(l) + ".weight"), kvAll, d, j);
                    Weights.zeroColumn(w.get(WeightNames.gate(l) + ".weight"), ff, d, j);
                    Weights.zeroColumn(w.get(WeightNames.up(l) + ".weight"), ff, d, j);
                    Weights.zeroRow(w.get(WeightNames.o(l) + ".weight"), qAll, j);
                    Weights.zeroRow(w.get(WeightNames.down(l) + ".weight"), ff, j);
                }
            }
            double[] scores = new double[d];
            java.util.Arrays.fill(scores, 1);
            zero.forEach(j -> scores[j] = 0);
            try (Model zeroed = Weights.build(c, w);
                 PruneResult r = Pruner.prune(zeroed, PrunePlan.builder().hiddenSize(dNew).build(),
                         FixedRanking.random(c, 8).withChannels(scores))) {
                Map<String, float[]> p = Weights.floats(r.model());
                float gain = (float) Math.sqrt((double) d / dNew);
                p.forEach((name, v) -> {
                    if (name.contains("layernorm") || name.startsWith(WeightNames.FINAL_NORM)) {
                        for (int i = 0; i < v.length; i++) v[i] *= gain;
                    }
                });
                ModelConfig t = new ModelConfig.Builder(r.model().config()).normEps(c.normEps() * d / dNew).build();
                try (Model corrected = Weights.build(t, p)) {
                    PrunerExactnessTest.assertClose(Weights.logits(zeroed), Weights.logits(corrected));
                }
            }
        }
    }

    // ---- heads under GQA ----------------------------------------------------------------------------------------

    static final double[] HEADS = {9, 8, 7, 6, 1, 2, 3, 0}; // the global top 4 all lie in group 0

    static FixedRanking gqaRanking() {
        FixedRanking r = FixedRanking.random(GQA, 9);
        return r.withHeads(0, HEADS).withHeads(1, HEADS);
    }

    @Test
    void headsAreRankedWithinEachKvGroupAndEveryGroupKeepsTheSameNumber() {
        try (Model m = Model.random(GQA, Device.cpu(), 1);
             PruneResult r = Pruner.prune(m, PrunePlan.builder().numAttentionHeads(4).build(), gqaRanking())) {
            assertEquals(List.of(0, 1, 5, 6), r.report().keptHeads().get(0));
            assertEquals(List.of(0, 1), r.report().keptKvGroups().get(0));
            assertEquals(GQA.withHeads(4, 2), r.model().config());
        }
    }

    @Test
    void droppingKvGroupsNeedsTheOptionAndDropsTheLowestSummedGroup() {
        PrunePlan plan = PrunePlan.builder().numAttentionHeads(2).numKeyValueHeads(1).build();
        try (Model m = Model.random(GQA, Device.cpu(), 2)) {
            PrunePlanTest.rejects("num_key_value_heads 1 < 2 drops whole KV groups; enable PruneOptions.withPruneKvGroups(true)",
                    () -> Pruner.prune(m, plan, gqaRanking()));
            try (PruneResult r = Pruner.prune(m, plan, gqaRanking(), PruneOptions.defaults().withPruneKvGroups(true))) {
                assertEquals(List.of(0), r.report().keptKvGroups().get(1));
                assertEquals(List.of(0, 1), r.report().keptHeads().get(1));
                // the kept heads use group 0's K and V: same as zeroing every other head's o_proj input
                Map<String, float[]> w = Weights.floats(m);
                for (int l = 0; l < 2; l++) {
                    for (int x = 2 * 8; x < 8 * 8; x++) {
                        Weights.zeroColumn(w.get(WeightNames.o(l) + ".weight"), 32, 64, x);
                    }
                }
                try (Model zeroed = Weights.build(GQA, w)) {
                    PrunerExactnessTest.assertClose(Weights.logits(zeroed), Weights.logits(r.model()));
                }
            }
        }
    }

    @Test
    void headResidualMergeIsExactWhenAPrunedHeadHasTheSameQueryAsAKeptOne() {
        Map<String, float[]> w;
        try (Model m = Model.random(GQA, Device.cpu(), 3)) {
            w = Weights.floats(m);
        }
        int hd = 8, d = 32;
        for (int l = 0; l < 2; l++) {
            float[] q = w.get(WeightNames.q(l) + ".weight"); // (heads·hd, d): head 1 copies head 0, 3 ← 2, 5 ← 4, 7 ← 6
            for (int[] pair : new int[][] {{1, 0}, {3, 2}, {5, 4}, {7, 6}}) {
                System.arraycopy(q, pair[1] * hd * d, q, pair[0] * hd * d, hd * d);
            }
        }
        double[] scores = {4, 1, 3, 2, 4, 1, 3, 2}; // keep 0, 2 | 4, 6
        FixedRanking ranking = FixedRanking.random(GQA, 10).withHeads(0, scores).withHeads(1, scores);
        PrunePlan plan = PrunePlan.builder().numAttentionHeads(4).build();
        try (Model m = Weights.build(GQA, w);
             PruneResult merged = Pruner.prune(m, plan, ranking, PruneOptions.defaults().withHeadResidualMerge(true));
             PruneResult plain = Pruner.prune(m, plan, ranking)) {
            assertEquals(List.of(0, 2, 4, 6), merged.report().keptHeads().get(0));
            PrunerExactnessTest.assertClose(Weights.logits(m), Weights.logits(merged.model()));
            PrunerExactnessTest.assertChanged(Weights.logits(m), Weights.logits(plain.model()));
            List<PruneReport.HeadMerge> ms = merged.report().headMerges();
            assertEquals(8, ms.size());
            assertEquals(new PruneReport.HeadMerge(0, 1, 0, 1.0), new PruneReport.HeadMerge(ms.get(0).layer(),
                    ms.get(0).prunedHead(), ms.get(0).intoHead(), Math.round(ms.get(0).similarity() * 1e6) / 1e6));
            assertEquals(7, ms.get(7).prunedHead());
            assertEquals(6, ms.get(7).intoHead());
            assertEquals(List.of(), plain.report().headMerges());
        }
    }

    // ---- errors, options, report ----------------------------------------------------------------------------------

    @Test
    void badRankingsAndUnsavableGpt2ShapesAreRejectedByName() {
        try (Model m = Model.random(GQA, Device.cpu(), 4)) {
            FixedRanking r = gqaRanking();
            PrunePlanTest.rejects("ranking headScores(1) has 3 scores, expected 8",
                    () -> Pruner.prune(m, PrunePlan.builder().numAttentionHeads(4).build(), r.withHeads(1, 1, 2, 3)));
            PrunePlanTest.rejects("ranking channelScores() has NaN at index 0",
                    () -> Pruner.prune(m, PrunePlan.builder().hiddenSize(16).build(), r.withChannels(nanFirst(32))));
        }
        try (Model g = Weights.fixture("gpt2")) {
            PrunePlanTest.rejects("gpt2: hidden_size 48 must equal num_attention_heads × head_dim = 2 × 12 = 24",
                    () -> Pruner.prune(g, PrunePlan.builder().numAttentionHeads(2).build(), FixedRanking.random(g.config(), 1)));
        }
    }

    static double[] nanFirst(int n) {
        double[] a = new double[n];
        a[0] = Double.NaN;
        return a;
    }

    @Test
    void axesThePlanKeepsNeverConsultTheRanking() {
        ImportanceRanking empty = new FixedRanking(null, null, null, null);
        try (Model m = Model.random(GQA, Device.cpu(), 5);
             PruneResult r = Pruner.prune(m, PrunePlan.builder().dropLayers(List.of(1)).build(), empty)) {
            assertEquals(List.of(0), r.report().keptLayers());
        }
    }

    @Test
    void theReportJsonNamesKeptIndicesAndTheConfigDiff() throws Exception {
        try (Model m = Model.random(GQA, Device.cpu(), 6);
             PruneResult r = Pruner.prune(m, PrunePlan.builder().numAttentionHeads(4).hiddenSize(24).numLayers(1).build(),
                     gqaRanking().withLayers(0, 1))) {
            JsonNode j = new ObjectMapper().readTree(r.report().toJson());
            assertEquals("[1]", j.get("kept_layers").toString());
            assertEquals("[0,1,5,6]", j.get("kept_heads").get("1").toString());
            assertEquals(24, j.get("kept_hidden_channels").size());
            assertEquals(32, j.get("config_diff").get("hidden_size").get("before").asInt());
            assertEquals(24, j.get("config_diff").get("hidden_size").get("after").asInt());
            assertEquals(1, j.get("config_diff").get("num_hidden_layers").get("after").asInt());
            assertEquals(r.model().parameterCount(), j.get("parameters_after").asLong());
            assertEquals(PrunePlan.fromJson(j.get("plan").toString()), r.report().plan());
            assertTrue(r.report().toString().contains("parameters"));
        }
    }

    @Test
    void weightMagnitudeRankingScoresHeadsByTheirOProjColumns() {
        Map<String, float[]> w;
        try (Model m = Model.random(GQA, Device.cpu(), 7)) {
            w = Weights.floats(m);
        }
        float[] o = w.get(WeightNames.o(0) + ".weight"); // (32, 64): head 3 = columns 24..31, ten times larger
        for (int r = 0; r < 32; r++) {
            for (int x = 24; x < 32; x++) {
                o[r * 64 + x] *= 10;
            }
        }
        try (Model m = Weights.build(GQA, w)) {
            WeightMagnitudeRanking rank = WeightMagnitudeRanking.of(m);
            double ss = 0;
            for (int r = 0; r < 32; r++) {
                for (int x = 24; x < 32; x++) {
                    ss += (double) o[r * 64 + x] * o[r * 64 + x];
                }
            }
            assertEquals(Math.sqrt(ss), rank.headScores(0)[3], 1e-6);
            assertEquals(8, rank.headScores(1).length);
            assertEquals(48, rank.neuronScores(0).length);
            assertEquals(32, rank.channelScores().length);
            assertEquals(2, rank.layerScores().length);
            try (PruneResult r = Pruner.prune(m, PrunePlan.builder().numAttentionHeads(2).build(), rank)) {
                assertTrue(r.report().keptHeads().get(0).contains(3));
            }
        }
    }
}
