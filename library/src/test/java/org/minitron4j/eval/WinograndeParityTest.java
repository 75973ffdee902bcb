package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;

/**
 * Per-item parity of Winogrande with an independent lm-evaluation-harness-style reference
 * (src/test/python/winogrande_reference.py): the llama_tied fixture model and its word-level tokenizer, scored in
 * float64 by the reference.
 */
class WinograndeParityTest {
    static final Path FIXTURES = Paths.get("src/test/resources/fixtures");
    static final Path MODEL = FIXTURES.resolve("llama_tied");
    static final Path WG = FIXTURES.resolve("winogrande");
    static final double TOL = 1e-4;

    static Model model;
    static Tokenizer tok;
    static JsonNode expected;
    static List<WinograndeItem> dev;

    @BeforeAll
    static void load() throws IOException {
        model = Checkpoints.load(MODEL, Device.cpu());
        tok = Tokenizer.load(MODEL);
        expected = new ObjectMapper().readTree(WG.resolve("expected.json").toFile());
        dev = Winogrande.load(WG.resolve("dev.jsonl"));
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
        if (tok != null) {
            tok.close();
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void zeroShotMatchesTheReferencePerItem() {
        JsonNode ref = expected.get("zero_shot");
        JsonNode items = ref.get("items");
        assertEquals(items.size(), dev.size());
        assertEquals(expected.get("n").asInt(), dev.size());

        // the requests as token ids (harness _encode_pair without special tokens)
        TextEncoder enc = TextEncoder.of(tok);
        for (int i = 0; i < dev.size(); i++) {
            WinograndeItem it = dev.get(i);
            JsonNode e = items.get(i);
            assertEquals(e.get("qID").asText(), it.qID());
            String[] ctx = Winogrande.contexts(it, "");
            for (int o = 0; o < 2; o++) {
                LoglikelihoodRequest r = HarnessText.encodePair(enc, ctx[o], it.continuation());
                JsonNode req = e.get("requests").get(o);
                assertArrayEquals(ints(req.get(0)), r.context(), it.qID() + " option " + (o + 1) + " context ids");
                assertArrayEquals(ints(req.get(1)), r.continuation(),
                        it.qID() + " option " + (o + 1) + " continuation ids");
            }
        }

        WinograndeResult r = Winogrande.evaluate(dev, tok, new ModelScorer(model), WinograndeOptions.defaults());
        assertEquals(dev.size(), r.n());
        int agree = 0;
        for (int i = 0; i < dev.size(); i++) {
            JsonNode e = items.get(i);
            String q = e.get("qID").asText();
            assertEquals(q, r.items().stringColumn("qID").get(i));
            assertEquals(e.get("logprob_option1").asDouble(), r.items().doubleColumn("logprob1").get(i), TOL, q);
            assertEquals(e.get("logprob_option2").asDouble(), r.items().doubleColumn("logprob2").get(i), TOL, q);
            assertEquals(e.get("gold").asInt(), r.items().intColumn("gold").get(i), q + " gold");
            if (e.get("prediction").asInt() == r.items().intColumn("prediction").get(i)) {
                agree++;
            }
        }
        assertEquals(dev.size(), agree, "items whose prediction agrees with the reference");
        assertEquals(ref.get("acc").asDouble(), r.acc(), 1e-12);
        assertEquals(ref.get("acc_stderr").asDouble(), r.accStderr(), 1e-12);
    }

    @Test
    void twoShotWithTheReferencePrefixesMatchesPerItem() {
        JsonNode ref = expected.get("fewshot");
        JsonNode items = ref.get("items");
        Map<String, WinograndeItem> pool = new HashMap<>();
        for (WinograndeItem f : Winogrande.load(WG.resolve("fewshot.jsonl"))) {
            pool.put(f.qID(), f);
        }
        TextEncoder enc = TextEncoder.of(tok);
        List<LoglikelihoodRequest> requests = new ArrayList<>();
        for (int i = 0; i < dev.size(); i++) {
            WinograndeItem it = dev.get(i);
            JsonNode e = items.get(i);
            assertEquals(e.get("qID").asText(), it.qID());
            String prefix = e.get("prefix").asText();
            // the Java rendering of the same shots gives the harness's few-shot block
            StringBuilder mine = new StringBuilder();
            for (JsonNode s : e.get("shots")) {
                mine.append(pool.get(s.asText()).asExample()).append("\n\n");
            }
            assertEquals(prefix, mine.toString(), it.qID() + " few-shot prefix");
            String[] ctx = Winogrande.contexts(it, prefix);
            for (int o = 0; o < 2; o++) {
                LoglikelihoodRequest r = HarnessText.encodePair(enc, ctx[o], it.continuation());
                JsonNode req = e.get("requests").get(o);
                assertArrayEquals(ints(req.get(0)), r.context(), it.qID() + " option " + (o + 1) + " context ids");
                assertArrayEquals(ints(req.get(1)), r.continuation(),
                        it.qID() + " option " + (o + 1) + " continuation ids");
                requests.add(r);
            }
        }
        List<Loglikelihood> lls = new ModelScorer(model).score(requests);
        int agree = 0;
        double hits = 0;
        for (int i = 0; i < dev.size(); i++) {
            JsonNode e = items.get(i);
            String q = e.get("qID").asText();
            double a = lls.get(2 * i).logProb();
            double b = lls.get(2 * i + 1).logProb();
            assertEquals(e.get("logprob_option1").asDouble(), a, TOL, q + " 2-shot option 1");
            assertEquals(e.get("logprob_option2").asDouble(), b, TOL, q + " 2-shot option 2");
            int pred = HarnessText.argmax(new double[] {a, b}) + 1;
            if (pred == e.get("prediction").asInt()) {
                agree++;
            }
            hits += pred == e.get("gold").asInt() ? 1 : 0;
        }
        assertEquals(dev.size(), agree, "2-shot items whose prediction agrees with the reference");
        assertEquals(ref.get("acc").asDouble(), hits / dev.size(), 1e-12);
    }
}
