package org.minitron4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.data.Jsonl;
import org.minitron4j.model.Tokenizer;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Multiple-choice tasks scored as the harness does: one request (context, " " + choice) per choice; the prediction is
 * the argmax of the summed log-likelihood (acc), or of it divided by the choice's length (acc_norm).
 */
public final class MultipleChoice {
    private static final List<String> CONTEXT = List.of("context", "query", "question");
    private static final List<String> CHOICES = List.of("choices", "endings");
    private static final List<String> LABEL = List.of("label", "gold");

    private static final ObjectMapper JSON = JsonMappers.shared();

    private MultipleChoice() {}

    private static String toJson(double[] v) {
        try {
            return JSON.writeValueAsString(v); // non-finite values come out as null (JsonMappers)
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Loads JSONL with a string context ({@code context}, {@code query} or {@code question}), a string array of choices
     * ({@code choices} or {@code endings}) and the gold index ({@code label} or {@code gold}, an integer or a numeric
     * string); {@code id} is taken if present, else "line-N".
     *
     * @throws InvalidInputException naming the file and line of a malformed item, or the file if it has no items
     */
    public static List<MultipleChoiceItem> load(Path jsonl) {
        return Jsonl.items(jsonl, (o, line) -> parse(jsonl, o, line));
    }

    private static JsonNode first(Path file, JsonNode o, List<String> names, int line) {
        for (String n : names) {
            if (o.has(n) && !o.get(n).isNull()) {
                return o.get(n);
            }
        }
        throw new InvalidInputException(file + " line " + line + ": missing field " + String.join("|", names));
    }

    private static MultipleChoiceItem parse(Path file, JsonNode o, int line) {
        JsonNode ctx = first(file, o, CONTEXT, line);
        if (!ctx.isTextual()) {
            throw new InvalidInputException(file + " line " + line + ": the context must be a string, got " + ctx);
        }
        JsonNode ch = first(file, o, CHOICES, line);
        if (!ch.isArray() || ch.isEmpty()) {
            throw new InvalidInputException(file + " line " + line + ": the choices must be a non-empty array, got "
                    + ch);
        }
        List<String> choices = new ArrayList<>();
        for (JsonNode c : ch) {
            if (!c.isTextual() || c.asText().isEmpty()) {
                throw new InvalidInputException(file + " line " + line + ": choice " + choices.size()
                        + " must be a non-empty string, got " + c);
            }
            choices.add(c.asText());
        }
        JsonNode label = first(file, o, LABEL, line);
        int gold;
        if (label.isInt()) {
            gold = label.asInt();
        } else if (label.isTextual() && label.asText().strip().matches("\\d+")) {
            gold = Integer.parseInt(label.asText().strip());
        } else {
            throw new InvalidInputException(file + " line " + line + ": the label must be an integer, got " + label);
        }
        if (gold < 0 || gold >= choices.size()) {
            throw new InvalidInputException(file + " line " + line + ": label " + gold + " is out of range for "
                    + choices.size() + " choices");
        }
        String id = o.has("id") && o.get("id").isValueNode() ? o.get("id").asText() : "line-" + line;
        return new MultipleChoiceItem(id, ctx.asText(), choices, gold, line);
    }

    /** Evaluates with a tokenizer, encoding without special tokens. */
    public static MultipleChoiceResult evaluate(List<MultipleChoiceItem> items, Tokenizer tok,
            LoglikelihoodScorer scorer, int limit) {
        return evaluate(items, TextEncoder.of(tok), scorer, limit);
    }

    /**
     * Scores every choice of the first {@code limit} items (all if 0 or less) in one scorer call.
     */
    public static MultipleChoiceResult evaluate(List<MultipleChoiceItem> items, TextEncoder enc,
            LoglikelihoodScorer scorer, int limit) {
        List<MultipleChoiceItem> scored = limit > 0 && limit < items.size() ? items.subList(0, limit) : items;
        List<LoglikelihoodRequest> requests = new ArrayList<>();
        for (MultipleChoiceItem it : scored) {
            for (String c : it.choices()) {
                requests.add(HarnessText.encodePair(enc, it.context(), " " + c));
            }
        }
        List<Loglikelihood> lls = scorer.score(requests);
        if (lls.size() != requests.size()) {
            throw new IllegalStateException("scorer returned " + lls.size() + " results for " + requests.size()
                    + " requests");
        }
        int n = scored.size();
        StringColumn id = StringColumn.create("id");
        IntColumn gold = IntColumn.create("gold");
        IntColumn pred = IntColumn.create("prediction");
        IntColumn predNorm = IntColumn.create("prediction_norm");
        IntColumn predBytes = IntColumn.create("prediction_bytes");
        BooleanColumn ok = BooleanColumn.create("correct");
        BooleanColumn okNorm = BooleanColumn.create("correct_norm");
        BooleanColumn okBytes = BooleanColumn.create("correct_bytes");
        StringColumn logprobs = StringColumn.create("logprobs");
        double[] acc = new double[n];
        double[] accNorm = new double[n];
        double[] accBytes = new double[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            MultipleChoiceItem it = scored.get(i);
            int m = it.choices().size();
            double[] raw = new double[m];
            double[] norm = new double[m];
            double[] bytes = new double[m];
            for (int j = 0; j < m; j++) {
                String c = it.choices().get(j);
                raw[j] = lls.get(k++).logProb();
                norm[j] = raw[j] / c.codePointCount(0, c.length());
                bytes[j] = raw[j] / c.getBytes(StandardCharsets.UTF_8).length;
            }
            int p = HarnessText.argmax(raw);
            int pn = HarnessText.argmax(norm);
            int pb = HarnessText.argmax(bytes);
            acc[i] = p == it.gold() ? 1 : 0;
            accNorm[i] = pn == it.gold() ? 1 : 0;
            accBytes[i] = pb == it.gold() ? 1 : 0;
            id.append(it.id());
            gold.append(it.gold());
            pred.append(p);
            predNorm.append(pn);
            predBytes.append(pb);
            ok.append(p == it.gold());
            okNorm.append(pn == it.gold());
            okBytes.append(pb == it.gold());
            logprobs.append(toJson(raw));
        }
        Table table = Table.create("multiple_choice", id, gold, pred, predNorm, predBytes, ok, okNorm, okBytes,
                logprobs);
        return new MultipleChoiceResult(HarnessText.mean(acc), HarnessText.stderrOfMean(acc),
                HarnessText.mean(accNorm), HarnessText.stderrOfMean(accNorm), HarnessText.mean(accBytes),
                HarnessText.stderrOfMean(accBytes), n, table);
    }
}
