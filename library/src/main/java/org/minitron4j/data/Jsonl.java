package org.minitron4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/** JSONL (corpora, task files, prediction files): one object per line; read errors name the file and line. */
public final class Jsonl {
    private static final ObjectMapper JSON = JsonMappers.shared();

    /** Receives each object with its 1-based line number. */
    public interface LineConsumer {
        void accept(JsonNode object, int line);
    }

    /** Turns one object (with its 1-based line number) into an item of a task file. */
    public interface ItemParser<T> {
        T parse(JsonNode object, int line);
    }

    private Jsonl() {}

    public static void forEachObject(Path file, LineConsumer consumer) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("file not found: " + file);
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new InvalidInputException(file + " line " + lineNo + ": not JSON (" + e.getOriginalMessage()
                            + ")");
                }
                if (node == null || !node.isObject()) {
                    throw new InvalidInputException(file + " line " + lineNo + ": not a JSON object");
                }
                consumer.accept(node, lineNo);
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The items of a task file, one per object, in file order.
     *
     * @throws InvalidInputException naming the file if it holds no object: a task without items has no score
     */
    public static <T> List<T> items(Path file, ItemParser<T> parser) {
        List<T> items = new ArrayList<>();
        forEachObject(file, (object, line) -> items.add(parser.parse(object, line)));
        if (items.isEmpty()) {
            throw new InvalidInputException(file + ": no items (the task file holds no JSON object)");
        }
        return items;
    }

    public static String string(Path file, JsonNode o, String field, int line) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw new InvalidInputException(file + " line " + line + ": missing field \"" + field + "\"");
        }
        if (!v.isTextual()) {
            throw new InvalidInputException(file + " line " + line + ": field \"" + field + "\" must be a string, got "
                    + v);
        }
        return v.asText();
    }

    /** Writes one object per element of {@code items}, as {@code toJson} renders it, one per line. */
    public static <T> void write(Path file, Iterable<T> items, Function<T, ? extends JsonNode> toJson) {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (T item : items) {
                w.write(JSON.writeValueAsString(toJson.apply(item)));
                w.write('\n');
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
