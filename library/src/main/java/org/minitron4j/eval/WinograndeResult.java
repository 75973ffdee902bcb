package org.minitron4j.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.Table;

/**
 * Winogrande accuracy with its standard error, and one row per item: qID, gold, logprob1, logprob2, prediction,
 * correct (gold and prediction as option numbers 1 or 2).
 */
public record WinograndeResult(double acc, double accStderr, int n, Table items) {

    /** Writes one JSON object per item: qID, logprob_option1, logprob_option2, prediction, gold, correct. */
    public void writePredictions(Path jsonl) {
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
            for (Row r : items) {
                ObjectNode o = json.createObjectNode();
                o.put("qID", r.getString("qID"));
                o.put("logprob_option1", r.getDouble("logprob1"));
                o.put("logprob_option2", r.getDouble("logprob2"));
                o.put("prediction", r.getInt("prediction"));
                o.put("gold", r.getInt("gold"));
                o.put("correct", r.getBoolean("correct"));
                w.write(json.writeValueAsString(o));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write predictions to " + jsonl, e);
        }
    }
}
