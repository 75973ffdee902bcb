package org.minitron4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.minitron4j.InvalidInputException;
import org.minitron4j.data.Jsonl;
import org.minitron4j.model.Tokenizer;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Winogrande with lm-evaluation-harness's partial scoring: each option fills the blank to form a context and the model
 * is scored on the rest of the sentence; the option with the higher log-likelihood is the prediction.
 */
public final class Winogrande {
    private Winogrande() {}

    /**
     * Loads JSONL in the original schema {@code {"qID","sentence","option1","option2","answer"}} or the llm-foundry
     * schema {@code {"context_options":[c1,c2],"continuation","gold":0|1}} (schemas may not be mixed per line).
     *
     * @throws InvalidInputException naming the file and line of a malformed item, or the file if it has no items
     */
    public static List<WinograndeItem> load(Path jsonl) {
        return Jsonl.items(jsonl, (o, line) -> parse(jsonl, o, line));
    }

    private static WinograndeItem parse(Path file, JsonNode o, int line) {
        if (o.has("context_options")) {
            JsonNode opts = o.get("context_options");
            if (!opts.isArray() || opts.size() != 2 || !opts.get(0).isTextual() || !opts.get(1).isTextual()) {
                throw new InvalidInputException(file + " line " + line
                        + ": \"context_options\" must be an array of two strings, got " + opts);
            }
            String cont = Jsonl.string(file, o, "continuation", line);
            JsonNode gold = o.get("gold");
            if (gold == null) {
                throw new InvalidInputException(file + " line " + line + ": missing field \"gold\"");
            }
            if (!gold.isInt() || gold.asInt() < 0 || gold.asInt() > 1) {
                throw new InvalidInputException(file + " line " + line + ": \"gold\" must be 0 or 1, got " + gold);
            }
            String qID = o.path("qID").isTextual() ? o.get("qID").asText() : "line-" + line;
            return new WinograndeItem(qID, opts.get(0).asText(), opts.get(1).asText(),
                    " " + HarnessText.strip(cont), gold.asInt(), line);
        }
        String qID = Jsonl.string(file, o, "qID", line);
        String sentence = Jsonl.string(file, o, "sentence", line);
        String option1 = Jsonl.string(file, o, "option1", line);
        String option2 = Jsonl.string(file, o, "option2", line);
        JsonNode answer = o.get("answer");
        if (answer == null) {
            throw new InvalidInputException(file + " line " + line + " (qID " + qID + "): missing field \"answer\"");
        }
        String a = answer.isIntegralNumber() ? String.valueOf(answer.asLong()) : answer.isTextual() ? answer.asText()
                : answer.toString();
        try {
            return WinograndeItem.fromSentence(qID, sentence, option1, option2, a, line);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + ": " + e.getMessage());
        }
    }

    /** Evaluates with a tokenizer, encoding without special tokens. */
    public static WinograndeResult evaluate(List<WinograndeItem> items, Tokenizer tok, LoglikelihoodScorer scorer,
            WinograndeOptions opts) {
        return evaluate(items, TextEncoder.of(tok), scorer, opts);
    }

    /**
     * Builds two requests per item (after {@link #contexts}), scores them in one call, and returns the accuracy.
     *
     * @throws InvalidInputException if a scored item is unlabeled or the few-shot pool is too small
     */
    public static WinograndeResult evaluate(List<WinograndeItem> items, TextEncoder enc, LoglikelihoodScorer scorer,
            WinograndeOptions opts) {
        List<WinograndeItem> scored = opts.limit() > 0 && opts.limit() < items.size()
                ? items.subList(0, opts.limit()) : items;
        for (WinograndeItem it : scored) {
            if (!it.labeled()) {
                throw new InvalidInputException("Winogrande item " + it.qID() + " (line " + it.line()
                        + ") has no answer; accuracy needs labeled items (use the validation split)");
            }
        }
        Random rng = new Random(opts.seed());
        List<LoglikelihoodRequest> requests = new ArrayList<>(2 * scored.size());
        for (WinograndeItem it : scored) {
            String[] ctx = contexts(it, fewshotPrefix(it, opts, rng));
            for (String c : ctx) {
                requests.add(HarnessText.encodePair(enc, c, it.continuation()));
            }
        }
        List<Loglikelihood> lls = scorer.score(requests);
        if (lls.size() != requests.size()) {
            throw new IllegalStateException("scorer returned " + lls.size() + " results for " + requests.size()
                    + " requests");
        }
        int n = scored.size();
        StringColumn qid = StringColumn.create("qID");
        IntColumn gold = IntColumn.create("gold");
        DoubleColumn lp1 = DoubleColumn.create("logprob1");
        DoubleColumn lp2 = DoubleColumn.create("logprob2");
        IntColumn pred = IntColumn.create("prediction");
        BooleanColumn correct = BooleanColumn.create("correct");
        double[] hits = new double[n];
        for (int i = 0; i < n; i++) {
            WinograndeItem it = scored.get(i);
            double a = lls.get(2 * i).logProb();
            double b = lls.get(2 * i + 1).logProb();
            int p = HarnessText.argmax(new double[] {a, b});
            hits[i] = p == it.gold() ? 1 : 0;
            qid.append(it.qID());
            gold.append(it.gold() + 1);
            lp1.append(a);
            lp2.append(b);
            pred.append(p + 1);
            correct.append(p == it.gold());
        }
        Table table = Table.create("winogrande", qid, gold, lp1, lp2, pred, correct);
        return new WinograndeResult(HarnessText.mean(hits), HarnessText.stderrOfMean(hits), n, table);
    }

    /** The item's two contexts with {@code prefix} (the few-shot block, possibly empty) in front. */
    public static String[] contexts(WinograndeItem item, String prefix) {
        return new String[] {prefix + item.context1(), prefix + item.context2()};
    }

    /**
     * The few-shot block for one item: {@code shots} examples drawn without replacement from the pool (never the item
     * itself) with {@code rng}, each rendered by {@link WinograndeItem#asExample()}, joined and followed by "\n\n".
     * Empty for zero shots.
     */
    public static String fewshotPrefix(WinograndeItem item, WinograndeOptions opts, Random rng) {
        if (opts.shots() <= 0) {
            return "";
        }
        List<WinograndeItem> pool = new ArrayList<>(opts.fewshot().size());
        for (WinograndeItem f : opts.fewshot()) {
            if (!f.sameProblem(item)) {
                pool.add(f);
            }
        }
        if (pool.size() < opts.shots()) {
            throw new InvalidInputException(opts.shots() + "-shot Winogrande needs at least " + opts.shots()
                    + " few-shot examples other than the item, the few-shot pool has " + pool.size());
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < opts.shots(); i++) {
            int j = i + rng.nextInt(pool.size() - i);
            WinograndeItem pick = pool.get(j);
            pool.set(j, pool.get(i));
            pool.set(i, pick);
            sb.append(pick.asExample()).append("\n\n");
        }
        return sb.toString();
    }
}
