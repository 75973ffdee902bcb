package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensors;
import org.minitron4j.checkpoint.SafeTensorsWriter;

/**
 * The full state of a run after some optimizer step, in a folder {@code step-NNNNNNNN} of the checkpoint directory:
 * {@code model.safetensors} (f32: {@code param/<name>}, {@code adam_m/<name>}, {@code adam_v/<name>}) and
 * {@code state.json} (step, AdamW step count, seed and next batch seed, the train config, the log so far). The folder
 * is first written as {@code step-NNNNNNNN.tmp}, every file and the folder are fsynced, then it is renamed; readers only
 * look at folders without the suffix, so a run killed mid-write leaves nothing that a resume would load.
 */
final class TrainingCheckpoint {
    private static final Pattern COMPLETE = Pattern.compile("step-(\\d{8})");
    private static final Pattern OURS = Pattern.compile("step-\\d{8}(\\.tmp)?");
    private static final JsonMapper JSON = JsonMappers.shared();
    static final String STATE = "state.json";

    private TrainingCheckpoint() {
    }

    /** The state read back: which step it follows; the arrays were already copied into the live ones. */
    record Restored(int step, Path folder) {
    }

    static Path folder(Path root, int step) {
        return root.resolve(String.format("step-%08d", step));
    }

    /** Saves the state after {@code step} completed steps; removes older checkpoints and stray temporaries afterwards. */
    static void write(Path root, int step, TrainConfig cfg, Map<String, NDArray> params, AdamW adam, TrainingLog log) {
        Path done = folder(root, step);
        Path tmp = done.resolveSibling(done.getFileName() + ".tmp");
        try {
            Files.createDirectories(root);
            if (Files.isDirectory(done)) {
                return; // already complete (a resumed run re-reaching a saved step writes the same bytes)
            }
            deleteTree(tmp);
            Files.createDirectories(tmp);
            List<SafeTensorsWriter.NamedTensor> tensors = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                String name = e.getKey();
                tensors.add(tensor("param/" + name, e.getValue()));
                tensors.add(tensor("adam_m/" + name, adam.firstMoments().get(name)));
                tensors.add(tensor("adam_v/" + name, adam.secondMoments().get(name)));
            }
            SafeTensorsWriter.write(tmp, tensors, DType.F32, 0, Map.of("format", "minitron4j-training-state"));
            writeSynced(tmp.resolve(STATE), JsonMappers.indented().writeValueAsBytes(state(step, cfg, adam, log)));
            fsync(tmp);
            Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
            fsync(root);
            try (Stream<Path> children = Files.list(root)) {
                for (Path p : (Iterable<Path>) children::iterator) {
                    if (!p.equals(done) && OURS.matcher(p.getFileName().toString()).matches()) {
                        deleteTree(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing checkpoint " + done + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode state(int step, TrainConfig cfg, AdamW adam, TrainingLog log) {
        ObjectNode s = JSON.createObjectNode();
        s.put("format", 1);
        s.put("step", step);
        s.put("optimizer_step", adam.stepCount());
        // The only randomness of the loop is the batch sampling, derived from (seed, step, micro-batch).
        s.put("seed", cfg.seed());
        s.put("next_batch_seed", cfg.seed() * 1_000_003L + (long) step * cfg.gradAccumulation());
        s.set("train_config", JSON.valueToTree(cfg));
        ArrayNode rows = s.putArray("log");
        for (int i = 0; i < log.size(); i++) {
            ObjectNode r = rows.addObject();
            r.put("step", log.steps().get(i));
            ObjectNode values = r.putObject("values");
            log.rows().get(i).forEach((k, v) -> {
                if (Double.isFinite(v)) {
                    values.put(k, v);
                }
            });
        }
        return s;
    }

    /** Complete checkpoint folders under {@code root}, newest first. */
    static List<Path> complete(Path root) {
        List<Path> out = new ArrayList<>();
        if (root == null || !Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> children = Files.list(root)) {
            children.filter(p -> COMPLETE.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve(STATE)) && Files.isRegularFile(p.resolve(SafeTensors.SINGLE_FILE)))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
                    .forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("listing checkpoints in " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Restores the newest complete checkpoint into the live parameters, optimizer and log (before any of them requires
     * gradients); empty when there is none. The config must be the one the checkpoint was written with.
     */
    static Optional<Restored> restoreLatest(Path root, TrainConfig cfg, Map<String, NDArray> params, AdamW adam,
                                            TrainingLog log) {
        List<Path> folders = complete(root);
        if (folders.isEmpty()) {
            return Optional.empty();
        }
        Path folder = folders.get(0);
        try {
            JsonNode s = JSON.readTree(folder.resolve(STATE).toFile());
            TrainConfig saved = JSON.treeToValue(s.get("train_config"), TrainConfig.class);
            if (!saved.equals(cfg)) {
                throw new InvalidInputException(folder + ": checkpoint was written with a different training config ("
                        + saved + "), cannot resume with " + cfg);
            }
            try (SafeTensors st = SafeTensors.open(folder.resolve(SafeTensors.SINGLE_FILE))) {
                for (String name : params.keySet()) {
                    if (!st.contains("param/" + name)) {
                        throw new InvalidInputException(folder + ": checkpoint has no tensor '" + name
                                + "' (was it written for another model or objective?)");
                    }
                }
                if (st.names().size() != 3 * params.size()) {
                    throw new InvalidInputException(folder + ": checkpoint holds " + st.names().size() / 3
                            + " parameters, this run trains " + params.size());
                }
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    String name = e.getKey();
                    copyInto(st, "param/" + name, e.getValue());
                    copyInto(st, "adam_m/" + name, adam.firstMoments().get(name));
                    copyInto(st, "adam_v/" + name, adam.secondMoments().get(name));
                }
            }
            adam.resumeAt(s.get("optimizer_step").asLong());
            for (JsonNode r : s.get("log")) {
                Map<String, Double> values = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = r.get("values").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    // a non-finite value (a diverged loss) was written as null: it reads back as NaN
                    values.put(f.getKey(), f.getValue().isNull() ? Double.NaN : f.getValue().asDouble());
                }
                log.add(r.get("step").asInt(), values);
            }
            return Optional.of(new Restored(s.get("step").asInt(), folder));
        } catch (IOException e) {
            throw new UncheckedIOException("reading checkpoint " + folder + ": " + e.getMessage(), e);
        }
    }

    private static void copyInto(SafeTensors st, String name, NDArray target) {
        long[] shape = st.info(name).shape();
        if (!java.util.Arrays.equals(shape, target.getShape().getShape())) {
            throw new InvalidInputException("checkpoint tensor '" + name + "' has shape " + java.util.Arrays.toString(shape)
                    + ", expected " + target.getShape());
        }
        FloatBuffer data = st.readFloat32(name);
        float[] values = new float[data.remaining()];
        data.get(values);
        target.set(FloatBuffer.wrap(values)); // in place: the live array keeps its identity
    }

    private static SafeTensorsWriter.NamedTensor tensor(String name, NDArray a) {
        return new SafeTensorsWriter.NamedTensor(name, a.getShape().getShape(), FloatBuffer.wrap(a.toFloatArray()));
    }

    private static void writeSynced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /** fsync of a directory (its entries); a no-op where the platform cannot open directories. */
    private static void fsync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // e.g. Windows: directories cannot be opened; the rename is still atomic
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }

    static String describe(Path folder) {
        Matcher m = COMPLETE.matcher(folder.getFileName().toString());
        return m.matches() ? "step " + Integer.parseInt(m.group(1)) : folder.toString();
    }
}
