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
 * Multiple-choice metrics with standard errors: {@code acc} (raw log-likelihood), {@code accNorm} (divided by the
 * choice's length in characters, as the harness's acc_norm) and {@code accBytes} (divided by its UTF-8 byte length);
 * {@code items} has one row per item: id, gold, prediction, prediction_norm, prediction_bytes, correct, correct_norm,
 * correct_bytes, logprobs (a JSON array).
 */
public record MultipleChoiceResult(double acc, double accStderr, double accNorm, double accNormStderr,
        double accBytes, double accBytesStderr, int n, Table items) {

    /** Writes one JSON object per item with the columns of {@link #items()}. */
    public void writePredictions(Path jsonl) {
        ObjectMapper json = new ObjectMapper();
        try (BufferedWriter w = Files.newBufferedWriter(jsonl, StandardCharsets.UTF_8)) {
            for (Row r : items) {
                ObjectNode o = json.createObjectNode();
                o.put("id", r.getString("id"));
                o.set("logprobs", json.readTree(r.getString("logprobs")));
                o.put("prediction", r.getInt("prediction"));
                o.put("prediction_norm", r.getInt("prediction_norm"));
                o.put("prediction_bytes", r.getInt("prediction_bytes"));
                o.put("gold", r.getInt("gold"));
                o.put("correct", r.getBoolean("correct"));
                o.put("correct_norm", r.getBoolean("correct_norm"));
                o.put("correct_bytes", r.getBoolean("correct_bytes"));
                w.write(json.writeValueAsString(o));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write predictions to " + jsonl, e);
        }
    }
}
