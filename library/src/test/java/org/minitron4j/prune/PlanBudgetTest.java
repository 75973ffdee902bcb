package org.minitron4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Calibration;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/**
 * The budget helpers against parameter counts computed here by hand from the Llama formula (RMSNorm, SwiGLU, untied
 * head, no biases), not by {@link ModelConfig#parameterCount()}: each plan fits and the next step up does not.
 */
class PlanBudgetTest {
    static final int V = 100, D = 64, FF = 160, L = 6, HEADS = 8, KV = 2, HD = 16;
    /** 8 query heads in 2 KV groups of 4, head_dim 16. */
    static final ModelConfig C = ModelConfig.llama(V, D, FF, L, HEADS, KV).withHeadDim(HD);

    /** Llama parameters by hand: per layer q, k, v, o, gate, up, down and two RMSNorms; embedding, final norm, head. */
    static long params(long d, long ff, long heads, long layers) {
        long q = heads * HD, kv = (long) KV * HD;
        long layer = d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d;
        return layers * layer + V * d + d + V * d;
    }

    /** The documented width ladder with hidden leading: hidden = k·a, ffn = max(a, ⌊k·FF/D⌋·a). */
    static long ladder(int k, int a) {
        return params((long) k * a, Math.max(a, (long) k * FF / D * a), HEADS, L);
    }

    @Test
    void handFormulaMatchesTheConfig() {
        assertEquals(320_832, params(D, FF, HEADS, L));
        assertEquals(C.parameterCount(), params(D, FF, HEADS, L));
    }

    @Test
    void widthPlanIsTheHighestStepThatFitsAndTheNextExceeds() {
        for (double share : new double[] {0.2, 0.35, 0.5, 0.6, 0.8, 0.95}) {
            long budget = (long) (share * params(D, FF, HEADS, L));
            assertEquals(budget, PlanBudget.share(share).limit(C));
            PrunePlan p = PlanBudget.share(share).widthPlan(C);
            int k = p.hiddenSize() / 8;
            assertEquals(8 * k, p.hiddenSize(), "hidden is a multiple of 8");
            assertEquals(Math.max(8, k * FF / D * 8), p.intermediateSize(), "ffn scaled with hidden, " + p);
            assertNull(p.numAttentionHeads(), "heads kept by default");
            assertNull(p.numLayers());
            long got = params(p.hiddenSize(), p.intermediateSize(), HEADS, L);
            assertEquals(got, p.targetConfig(C).parameterCount());
            assertTrue(got <= budget, share + ": " + got + " > " + budget);
            assertTrue(k == D / 8 || ladder(k + 1, 8) > budget, share + ": step " + (k + 1) + " fits too");
        }
    }

    @Test
    void anAbsoluteBudgetIsInclusive() {
        long exact = ladder(5, 8); // hidden 40, ffn 96
        assertEquals(40, PlanBudget.parameters(exact).widthPlan(C).hiddenSize());
        assertEquals(96, PlanBudget.parameters(exact).widthPlan(C).intermediateSize());
        assertEquals(32, PlanBudget.parameters(exact - 1).widthPlan(C).hiddenSize());
    }

    @Test
    void alignmentSixteenKeepsSizesMultiplesOfSixteen() {
        long budget = (long) (0.55 * C.parameterCount());
        PrunePlan p = PlanBudget.parameters(budget).widthPlan(C, PlanBudget.WidthOptions.defaults().withAlignment(16));
        int k = p.hiddenSize() / 16;
        assertEquals(16 * k, p.hiddenSize());
        assertEquals(Math.max(16, k * FF / D * 16), p.intermediateSize());
        assertTrue(ladder(k, 16) <= budget && ladder(k + 1, 16) > budget, p.toString());
    }

    @Test
    void headsShrinkPerKvGroupWhenAsked() {
        long budget = (long) (0.5 * C.parameterCount());
        PrunePlan p = PlanBudget.parameters(budget).widthPlan(C, PlanBudget.WidthOptions.defaults().withAxes(true, true, true));
        int hidden = p.hiddenSize(), k = hidden / 8;
        int perGroup = Math.max(1, hidden * (HEADS / KV) / D);
        assertEquals(KV * perGroup, p.numAttentionHeads(), p.toString());
        assertEquals(KV, p.targetConfig(C).numKeyValueHeads(), "every KV group is kept");
        long got = params(hidden, p.intermediateSize(), p.numAttentionHeads(), L);
        assertEquals(got, p.targetConfig(C).parameterCount());
        int next = 8 * (k + 1);
        long nextParams = params(next, Math.max(8, (k + 1) * FF / D * 8), KV * Math.max(1, next * (HEADS / KV) / D), L);
        assertTrue(got <= budget && nextParams > budget, p + ": " + got + ", next " + nextParams + ", budget " + budget);
    }

    @Test
    void ffnOnlyLeavesHiddenAndFindsTheWidestMlp() {
        long budget = (long) (0.7 * C.parameterCount());
        PrunePlan p = PlanBudget.parameters(budget).widthPlan(C, PlanBudget.WidthOptions.defaults().withAxes(false, true, false));
        assertNull(p.hiddenSize());
        int ffn = p.intermediateSize();
        assertEquals(0, ffn % 8);
        assertTrue(params(D, ffn, HEADS, L) <= budget && params(D, ffn + 8, HEADS, L) > budget, p.toString());
    }

    @Test
    void widthEdgeCases() {
        assertEquals(PrunePlan.none(), PlanBudget.share(1.0).widthPlan(C), "the model already fits");
        assertEquals(PrunePlan.none(), PlanBudget.parameters(C.parameterCount()).widthPlan(C));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PlanBudget.parameters(ladder(1, 8) - 1).widthPlan(C));
        assertTrue(e.getMessage().contains("no width-pruned shape"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> PlanBudget.share(0));
        assertThrows(InvalidInputException.class, () -> PlanBudget.share(1.5));
        assertThrows(InvalidInputException.class, () -> PlanBudget.parameters(0));
        assertThrows(InvalidInputException.class, () -> PlanBudget.WidthOptions.defaults().withAxes(false, false, false));
    }

    /** The fewest layers to drop by hand: per-layer parameters are the same, so the count needs only the number kept. */
    static int keptByHand(long budget) {
        int keep = L;
        while (keep > 0 && params(D, FF, HEADS, keep) > budget) {
            keep--;
        }
        return keep;
    }

    @Test
    void depthPlanDropsTheFewestLowestScoredLayers() {
        double[] scores = {0.9, 0.1, 0.5, 0.05, 0.7, 0.3};
        PrunePlan p = PlanBudget.share(0.6).depthPlan(C, scores);
        long budget = (long) (0.6 * params(D, FF, HEADS, L));
        assertEquals(3, keptByHand(budget));
        assertEquals(List.of(1, 3, 5), p.dropLayers(), "the three lowest scores");
        assertEquals(params(D, FF, HEADS, 3), p.targetConfig(C).parameterCount());
        assertTrue(params(D, FF, HEADS, 4) > budget, "keeping one more layer exceeds the budget");

        for (double share : new double[] {0.3, 0.45, 0.75, 0.9}) {
            long b = (long) (share * C.parameterCount());
            int keep = keptByHand(b);
            List<Integer> lowest = IntStream.range(0, L).boxed().sorted(Comparator.comparingDouble(i -> scores[i]))
                    .limit(L - keep).sorted().toList();
            PrunePlan q = PlanBudget.parameters(b).depthPlan(C, FixedRanking.random(C, 1).withLayers(scores));
            assertEquals(lowest, q.dropLayers(), "share " + share);
        }
    }

    @Test
    void depthTiesDropTheHigherIndexAsThePrunerKeepsTheLower() {
        PrunePlan p = PlanBudget.share(0.6).depthPlan(C, new double[L]);
        assertEquals(List.of(3, 4, 5), p.dropLayers());
    }

    @Test
    void depthEdgeCases() {
        assertEquals(PrunePlan.none(), PlanBudget.share(1.0).depthPlan(C, new double[L]));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PlanBudget.parameters(params(D, FF, HEADS, 1) - 1).depthPlan(C, new double[L]));
        assertTrue(e.getMessage().contains("no depth-pruned shape"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> PlanBudget.share(0.5).depthPlan(C, new double[L - 1]));
    }

    @Test
    void depthPlanFromActivationStatsDropsTheLowestBlockImportance() {
        ModelConfig small = ModelConfig.llama(64, 32, 48, 4, 4, 2);
        SplittableRandom rng = new SplittableRandom(5);
        List<int[]> windows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            windows.add(rng.ints(8, 0, small.vocabSize()).toArray());
        }
        try (Model m = Model.random(small, Device.cpu(), 3)) {
            ActivationStats stats = Calibration.run(m, windows, 2, Progress.NONE);
            PrunePlan p = PlanBudget.share(0.7).depthPlan(stats);
            double[] bi = stats.layerImportance();
            assertEquals(p, PlanBudget.share(0.7).depthPlan(small, bi));
            assertTrue(!p.dropLayers().isEmpty(), p.toString());
            double maxDropped = p.dropLayers().stream().mapToDouble(l -> bi[l]).max().orElseThrow();
            for (int l = 0; l < small.numLayers(); l++) {
                if (!p.dropLayers().contains(l)) {
                    assertTrue(bi[l] >= maxDropped, "kept layer " + l + " has lower BI than a dropped one");
                }
            }
        }
    }
}
