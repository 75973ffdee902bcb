package org.minitron4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.minitron4j.AtomicFiles;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/**
 * One recorded run of a command ({@code importance}, {@code prune}, {@code distill}, {@code eval}, {@code search}, …):
 * its command line, every effective option (the config), where it ran, fingerprints of what it read and of the
 * deterministic files it wrote, and its results. Saved as {@value #FILE} in a run folder, with the result tables it
 * wrote copied under {@value #TABLES}; {@code ./minitron4j replay DIR} runs it again and compares.
 *
 * @param format           {@value #FORMAT}
 * @param command          the subcommand, e.g. "distill"
 * @param args             the command line after the program name, without {@code --record}
 * @param workingDirectory where relative paths in {@code args} were resolved
 * @param created          ISO-8601 instant the run started
 * @param config           every option of the command with its effective value (defaults included)
 * @param environment      versions, threads and device
 * @param inputs           fingerprints of every file or folder an option named (models, data)
 * @param outputs          fingerprints of the deterministic files the run wrote (weights, predictions, result tables
 *                         without timing columns), by path relative to the output option
 * @param results          the command's {@code --json} object
 * @param seconds          wall time of the run
 */
public record RunRecord(String format, String command, List<String> args, String workingDirectory, String created,
                        Map<String, String> config, Environment environment, List<Fingerprint> inputs,
                        List<Fingerprint> outputs, JsonNode results, double seconds) {
    public static final String FORMAT = "minitron4j-run/1";
    public static final String FILE = "record.json";
    public static final String TABLES = "tables";
    static final ObjectMapper MAPPER = JsonMappers.indented();
    // Fields and columns that measure time or speed, or name where a run wrote: they differ between equal runs.
    private static final Pattern VOLATILE = Pattern.compile(
            "(?i)(^|.*[_.])(seconds|secs|elapsed|time|wall|timestamp|created|out)$|.*per_s(ec(ond)?)?$");

    public RunRecord {
        Objects.requireNonNull(command, "command");
        args = List.copyOf(args);
        config = new LinkedHashMap<>(config);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Whether a result field or table column measures time or speed or names an output path (not compared). */
    public static boolean isVolatile(String name) {
        return VOLATILE.matcher(name).matches();
    }

    /** The record in {@code runDir}; a missing or malformed record is bad input naming the file. */
    public static RunRecord load(Path runDir) {
        Path file = runDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(runDir + ": no " + FILE + " (not a run folder; record one with Runs.record)");
        }
        RunRecord r;
        try {
            r = MAPPER.readValue(file.toFile(), RunRecord.class);
        } catch (IOException e) {
            throw new InvalidInputException(file + ": not a run record (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (!FORMAT.equals(r.format())) {
            throw new InvalidInputException(file + ": format '" + r.format() + "', expected '" + FORMAT + "'");
        }
        return r;
    }

    /**
     * Writes {@value #FILE} into {@code runDir} (created), atomically: a sweep takes the file as the mark of a finished
     * step, so a process killed while writing it must leave no file rather than a truncated one.
     */
    public void save(Path runDir) {
        try {
            Files.createDirectories(runDir);
            AtomicFiles.write(runDir.resolve(FILE), tmp -> MAPPER.writeValue(tmp.toFile(), this));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + runDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** The results as dotted paths to leaf values ("scores.acc" → "0.75"), volatile fields left out. */
    public Map<String, String> comparableResults() {
        return flatten(results);
    }

    /** {@code node}'s leaves as dotted paths to their JSON text, in document order, volatile fields left out. */
    public static Map<String, String> flatten(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        flatten("", node, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
        if (node == null) {
            return;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!isVolatile(e.getKey())) {
                    flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
                }
            }
        } else if (node.isArray() && node.size() > 0 && !node.get(0).isContainerNode()) {
            out.put(prefix, node.toString()); // a list of numbers or names is one value
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(prefix + "[" + i + "]", node.get(i), out);
            }
        } else {
            out.put(prefix, node.isTextual() ? node.textValue() : node.toString());
        }
    }
}
