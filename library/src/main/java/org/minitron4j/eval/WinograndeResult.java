package org.minitron4j.eval;

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
 * Winogrande accuracy with its standard error, and one row per item: qID, gold, logprob1, logprob2, prediction,
 * correct (gold and prediction as option numbers 1 or 2).
 */
public record WinograndeResult(double acc, double accStderr, int n, Table items) implements HtmlRenderable {
    private static final ObjectMapper JSON = JsonMappers.shared();

    /** Writes one JSON object per item: qID, logprob_option1, logprob_option2, prediction, gold, correct. */
    public void writePredictions(Path jsonl) {
        Jsonl.write(jsonl, items, r -> {
            ObjectNode o = JSON.createObjectNode();
            o.put("qID", r.getString("qID"));
            o.put("logprob_option1", r.getDouble("logprob1"));
            o.put("logprob_option2", r.getDouble("logprob2"));
            o.put("prediction", r.getInt("prediction"));
            o.put("gold", r.getInt("gold"));
            o.put("correct", r.getBoolean("correct"));
            return o;
        });
    }

    /** Accuracy ± standard error over n items, then the first {@value Fragments#ITEM_ROWS} items. */
    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("acc", Fragments.fixed(acc, 4) + " \u00b1 " + Fragments.fixed(accStderr, 4));
        rows.put("n", n);
        return Fragments.keyValues("Winogrande", rows)
                + (items == null ? "" : Fragments.table(items, Fragments.ITEM_ROWS));
    }
}
