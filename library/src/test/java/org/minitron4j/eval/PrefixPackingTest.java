package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.minitron4j.Progress;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.MemoryBudget;
import org.minitron4j.model.Model;
import org.minitron4j.model.StreamedModel;
import org.minitron4j.model.TokenBatch;

/**
 * Prefix packing does less work for the same log-likelihoods: requests that share a prefix (Winogrande's two options of
 * one item, multiple-choice endings, a few-shot block) and identical requests are scored in shared rows, and every
 * result equals scoring that request alone, on every fixture architecture, in memory and streamed.
 */
class PrefixPackingTest {

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    /** Winogrande-like pairs, multiple-choice groups, duplicates and unrelated requests, some sharing few-shot blocks. */
    static List<LoglikelihoodRequest> requests(int vocab, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<LoglikelihoodRequest> out = new ArrayList<>();
        int[] shots = rng.ints(23, 0, vocab).toArray();
        for (int item = 0; item < 6; item++) { // two contexts (shared start, a different option) and one continuation
            int[] start = concat(item % 2 == 0 ? shots : new int[0], rng.ints(3 + rng.nextInt(6), 0, vocab).toArray());
            int[] cont = rng.ints(1 + rng.nextInt(5), 0, vocab).toArray();
            for (int option = 0; option < 2; option++) {
                out.add(new LoglikelihoodRequest(concat(start, rng.ints(1 + rng.nextInt(2), 0, vocab).toArray()), cont));
            }
        }
        for (int q = 0; q < 3; q++) { // one question, four endings, two of them starting alike
            int[] ctx = rng.ints(4 + rng.nextInt(10), 0, vocab).toArray();
            int shared = rng.nextInt(vocab);
            for (int e = 0; e < 4; e++) {
                int[] ending = rng.ints(1 + rng.nextInt(4), 0, vocab).toArray();
                if (e < 2) {
                    ending[0] = shared;
                }
                out.add(new LoglikelihoodRequest(ctx, ending));
            }
        }
        out.add(out.get(3)); // identical requests
        out.add(out.get(14));
        for (int i = 0; i < 4; i++) { // unrelated, one of them a single token of context
            out.add(new LoglikelihoodRequest(rng.ints(i == 0 ? 1 : 1 + rng.nextInt(12), 0, vocab).toArray(),
                    rng.ints(1 + rng.nextInt(3), 0, vocab).toArray()));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama_tied", "mistral", "qwen2", "nemotron", "gpt2"})
    void packedScoresEqualEachRequestScoredAlone(String fixture) {
        Path dir = Path.of("src/test/resources/fixtures").resolve(fixture);
        boolean streams = !fixture.equals("gpt2"); // streaming reads Llama-family checkpoints
        try (Model model = Checkpoints.load(dir, Device.cpu());
             StreamedModel streamed = streams ? StreamedModel.open(dir, Device.cpu(), MemoryBudget.of(4L << 30)) : null) {
            List<LoglikelihoodRequest> reqs = requests(model.config().vocabSize(), 5);
            List<Loglikelihood> packed = new ModelScorer(model, 96, Progress.NONE).score(reqs);
            List<Loglikelihood> packedStreamed = streams ? new ModelScorer(streamed, 96, Progress.NONE).score(reqs) : packed;
            for (int i = 0; i < reqs.size(); i++) {
                // one request alone is one plain row: no packing, no padding
                Loglikelihood alone = new ModelScorer(model).score(List.of(reqs.get(i))).get(0);
                assertEquals(alone.logProb(), packed.get(i).logProb(), 1e-5, fixture + " request " + i);
                assertEquals(alone.greedy(), packed.get(i).greedy(), fixture + " request " + i);
                assertEquals(packed.get(i).logProb(), packedStreamed.get(i).logProb(), 0.0, fixture + " streamed " + i);
            }
        }
    }

    @Test
    void sharedPrefixesAreComputedOnceAndIdenticalRequestsScoredOnce() {
        int[][] inputs = {
            {1, 2, 3, 4, 5, 9}, // fed 1 2 3 4 5: shares "1 2 3" with the next
            {1, 2, 3, 7, 9}, // fed 1 2 3 7
            {8, 8, 8}, // unrelated
            {1, 2, 3, 4, 5, 9}, // identical to the first
        };
        int[] cont = {1, 1, 1, 1};
        List<PrefixPacking.Row> rows = PrefixPacking.rows(inputs, cont, 100, 1e9);
        assertEquals(2, rows.size());
        PrefixPacking.Row shared = rows.stream().filter(r -> r.members().size() == 2).findFirst().orElseThrow();
        assertEquals(3, shared.prefix());
        assertEquals(3 + 2 + 1, shared.length()); // prefix, then branches "4 5" and "7"
        assertEquals(3, shared.requests());
        assertArrayEquals(new int[] {0, 3}, shared.members().get(0).requests());
        TokenBatch batch = PrefixPacking.batch(rows, inputs, 6);
        int r = rows.indexOf(shared);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 7}, batch.ids()[r]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 3}, batch.packing().positions()[r]);
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 2}, batch.packing().branches()[r]);
        assertEquals(5, shared.column(shared.members().get(1), 3)); // position 3 of "1 2 3 7" is the last column
        // a batch where no row shares a prefix is plain
        assertNull(PrefixPacking.batch(List.of(rows.get(1 - r)), inputs, 3).packing());
    }

    @Test
    void anEmptyContextIsRefused() {
        try (Model model = Model.random(org.minitron4j.model.ModelConfig.llama(30, 16, 32, 1, 2, 1), Device.cpu(), 1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> new ModelScorer(model).score(
                    List.of(new LoglikelihoodRequest(new int[] {1}, new int[] {2}), new LoglikelihoodRequest(new int[0], new int[] {2}))));
            assertTrue(e.getMessage().contains("request 1 has an empty context"), e.getMessage());
        }
    }

    @Test
    void packingLeavesAloneWhatDoesNotPay() {
        // sharing one token of two long sequences would cost more attention than it saves
        int[][] inputs = {IntStream.range(0, 50).toArray(), concat(new int[] {0}, IntStream.range(100, 149).toArray())};
        assertEquals(2, PrefixPacking.rows(inputs, new int[] {1, 1}, 1000, 10).size());
        assertEquals(1, PrefixPacking.rows(inputs, new int[] {1, 1}, 1000, 1e9).size());
        // nor beyond the row limit
        assertEquals(2, PrefixPacking.rows(inputs, new int[] {1, 1}, 60, 1e9).size());
        assertTrue(PrefixPacking.rows(new int[][] {{1, 2}, {1, 2}}, new int[] {1, 1}, 10, 1).get(0).members().size() == 1);
    }
}
