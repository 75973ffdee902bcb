package org.minitron4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.minitron4j.JsonMappers;
import org.minitron4j.data.Jsonl;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.Table;

/**
 * Multiple-choice metrics with standard errors: {@code acc} (raw log-likelihood), {@code accNorm} (divided by the
 * choice's length in characters, as the harness's acc_norm) and {@code accBytes} (divided by its UTF-8 byte length);
 * {@code items} has one row per item: id, gold, prediction, prediction_norm, prediction_bytes, correct, correct_norm,
 * correct_bytes, logprobs (a JSON array).
 */
public record MultipleChoiceResult(double acc, double accStderr, double accNorm, double accNormStderr,
        double accBytes, double accBytesStderr, int n, Table items) implements HtmlRenderable {
    private static final ObjectMapper JSON = JsonMappers.shared();

    /** Writes one JSON object per item with the columns of {@link #items()}. */
    public void writePredictions(Path jsonl) {
        Jsonl.write(jsonl, items, r -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", r.getString("id"));
            o.set("logprobs", logprobs(r));
            o.put("prediction", r.getInt("prediction"));
            o.put("prediction_norm", r.getInt("prediction_norm"));
            o.put("prediction_bytes", r.getInt("prediction_bytes"));
            o.put("gold", r.getInt("gold"));
            o.put("correct", r.getBoolean("correct"));
            o.put("correct_norm", r.getBoolean("correct_norm"));
            o.put("correct_bytes", r.getBoolean("correct_bytes"));
            return o;
        });
    }

    private static JsonNode logprobs(Row r) {
        try {
            return JSON.readTree(r.getString("logprobs"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("logprobs column holds JSON written by MultipleChoice", e);
        }
    }

    /** acc, acc_norm and acc_bytes with standard errors, then the first {@value Fragments#ITEM_ROWS} items. */
    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("acc", Fragments.fixed(acc, 4) + " \u00b1 " + Fragments.fixed(accStderr, 4));
        rows.put("acc_norm", Fragments.fixed(accNorm, 4) + " \u00b1 " + Fragments.fixed(accNormStderr, 4));
        rows.put("acc_bytes", Fragments.fixed(accBytes, 4) + " \u00b1 " + Fragments.fixed(accBytesStderr, 4));
        rows.put("n", n);
        return Fragments.keyValues("Multiple choice", rows)
                + (items == null ? "" : Fragments.table(items, Fragments.ITEM_ROWS));
    }
}
