package org.minitron4j.model;

import io.soabase.recordbuilder.core.RecordBuilder;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.minitron4j.AtomicFiles;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensors;
import org.minitron4j.checkpoint.SafeTensorsWriter;
import org.minitron4j.checkpoint.TensorInfo;

/**
 * Hugging Face model folders in and out: {@code config.json} plus {@code model.safetensors} or a sharded index, in
 * f32, f16 or bf16. Loading maps each architecture's tensor names to the canonical layout ({@link WeightNames}) and
 * checks every tensor; saving writes what transformers loads, including pruned shapes ({@code head_dim},
 * {@code num_key_value_heads}, {@code intermediate_size} as they are now).
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    /** Files copied alongside the weights when saving with a tokenizer source folder. */
    public static final List<String> TOKENIZER_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

    private static final ObjectMapper JSON = JsonMappers.shared();

    /** Tensors some checkpoints carry that are buffers, not parameters (recomputed here). */
    private static final Pattern IGNORED = Pattern.compile(
            ".*(rotary_emb\\.inv_freq|attn\\.bias|attn\\.masked_bias)$");

    /** Loads a model folder onto the CPU. */
    public static Model load(Path dir) {
        return load(dir, Device.cpu());
    }

    /** Loads a model folder onto a device. */
    public static Model load(Path dir, Device device) {
        ModelConfig config = ModelConfig.fromHuggingFace(dir);
        try (SafeTensors st = SafeTensors.open(dir); NDManager tmp = NDManager.newBaseManager(device)) {
            Map<String, NDArray> weights = config.architecture() == ModelConfig.Architecture.GPT2
                    ? readGpt2(config, st, tmp, dir)
                    : readLlamaFamily(config, st, tmp, dir);
            return new Model(config, weights, device);
        }
    }

    /**
     * Opens a model folder for passes (calibration, LM loss, scoring): loaded in memory when its f32 weights fit the
     * budget, otherwise (or when the budget asks) streamed one layer at a time ({@link StreamedModel}), with a line
     * saying so to {@code notes}.
     */
    public static Transformer open(Path dir, Device device, MemoryBudget budget, java.util.function.Consumer<String> notes) {
        long need = WeightNames.parameterCount(ModelConfig.fromHuggingFace(dir)) * Float.BYTES;
        if (!budget.streams(need)) {
            return load(dir, device);
        }
        notes.accept(String.format(java.util.Locale.ROOT, "%s: streaming one layer at a time (%s of f32 weights, memory budget %s%s)",
                dir, MemoryBudget.format(need), MemoryBudget.format(budget.bytes()),
                budget.forceStream() ? ", streaming asked for" : ""));
        return StreamedModel.open(dir, device, budget);
    }

    private static Map<String, NDArray> readLlamaFamily(ModelConfig config, SafeTensors st, NDManager tmp, Path dir) {
        checkTensors(config, st, dir);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : WeightNames.layout(config).entrySet()) {
            out.put(e.getKey(), read(st, e.getKey(), e.getValue(), tmp, dir));
        }
        return out;
    }

    /**
     * Checks that a checkpoint of a Llama-family architecture (every one but GPT-2) holds exactly the tensors {@code
     * config} implies ({@link WeightNames#layout}), each with its shape; buffers such as {@code rotary_emb.inv_freq}
     * and a tied model's stored lm_head are allowed.
     *
     * @throws InvalidInputException naming the folder or file and the tensor that is missing, mis-shaped or unexpected
     */
    public static void checkTensors(ModelConfig config, SafeTensors st, Path dir) {
        Set<String> unused = new HashSet<>(st.names());
        for (Map.Entry<String, Shape> e : WeightNames.layout(config).entrySet()) {
            checkShape(st, e.getKey(), e.getValue(), dir);
            unused.remove(e.getKey());
        }
        if (config.tieWordEmbeddings()) {
            unused.remove(WeightNames.LM_HEAD); // some tied checkpoints also store the (identical) head
        }
        checkUnused(unused, dir, config);
    }

    /** GPT-2 stores Conv1D weights as [in, out] and q, k, v fused in c_attn; names with or without "transformer.". */
    private static Map<String, NDArray> readGpt2(ModelConfig c, SafeTensors st, NDManager tmp, Path dir) {
        String p = st.contains("transformer.wte.weight") ? "transformer." : "";
        int d = c.hiddenSize(), ff = c.intermediateSize();
        Set<String> unused = new HashSet<>(st.names());
        Map<String, NDArray> out = new LinkedHashMap<>();
        Gpt2Reader r = new Gpt2Reader(st, tmp, dir, unused);
        out.put(WeightNames.EMBED, r.plain(p + "wte.weight", c.vocabSize(), d));
        out.put(WeightNames.POSITIONS, r.plain(p + "wpe.weight", c.maxPositionEmbeddings(), d));
        for (int i = 0; i < c.numLayers(); i++) {
            String h = p + "h." + i + ".";
            out.put(WeightNames.attnNorm(i) + ".weight", r.plain(h + "ln_1.weight", d));
            out.put(WeightNames.attnNorm(i) + ".bias", r.plain(h + "ln_1.bias", d));
            float[] qkv = r.floats(h + "attn.c_attn.weight", d, 3 * d);
            float[] qkvBias = r.floats(h + "attn.c_attn.bias", 3 * d);
            String[] names = {WeightNames.q(i), WeightNames.k(i), WeightNames.v(i)};
            for (int j = 0; j < 3; j++) {
                out.put(names[j] + ".weight", tmp.create(conv1dColumns(qkv, d, 3 * d, j * d, (j + 1) * d), new Shape(d, d)));
                out.put(names[j] + ".bias", tmp.create(java.util.Arrays.copyOfRange(qkvBias, j * d, (j + 1) * d)));
            }
            out.put(WeightNames.o(i) + ".weight", r.conv1d(h + "attn.c_proj.weight", d, d));
            out.put(WeightNames.o(i) + ".bias", r.plain(h + "attn.c_proj.bias", d));
            out.put(WeightNames.mlpNorm(i) + ".weight", r.plain(h + "ln_2.weight", d));
            out.put(WeightNames.mlpNorm(i) + ".bias", r.plain(h + "ln_2.bias", d));
            out.put(WeightNames.up(i) + ".weight", r.conv1d(h + "mlp.c_fc.weight", d, ff));
            out.put(WeightNames.up(i) + ".bias", r.plain(h + "mlp.c_fc.bias", ff));
            out.put(WeightNames.down(i) + ".weight", r.conv1d(h + "mlp.c_proj.weight", ff, d));
            out.put(WeightNames.down(i) + ".bias", r.plain(h + "mlp.c_proj.bias", d));
        }
        out.put(WeightNames.FINAL_NORM + ".weight", r.plain(p + "ln_f.weight", d));
        out.put(WeightNames.FINAL_NORM + ".bias", r.plain(p + "ln_f.bias", d));
        unused.remove(WeightNames.LM_HEAD);
        checkUnused(unused, dir, c);
        return out;
    }

    /** Reads GPT-2 tensors, marking each as used; Conv1D weights are transposed on the Java side into fresh arrays. */
    private record Gpt2Reader(SafeTensors st, NDManager tmp, Path dir, Set<String> unused) {
        NDArray plain(String name, long... shape) {
            unused.remove(name);
            return read(st, name, new Shape(shape), tmp, dir);
        }

        float[] floats(String name, long... shape) {
            unused.remove(name);
            checkShape(st, name, new Shape(shape), dir);
            FloatBuffer b = st.readFloat32(name);
            float[] a = new float[b.remaining()];
            b.get(a);
            return a;
        }

        /** A Conv1D weight [in, out] as a linear weight [out, in]. */
        NDArray conv1d(String name, int in, int out) {
            return tmp.create(conv1dColumns(floats(name, in, out), in, out, 0, out), new Shape(out, in));
        }
    }

    /** Columns [from, to) of a row-major [in, out] matrix, transposed to [to - from, in]. */
    static float[] conv1dColumns(float[] w, int in, int out, int from, int to) {
        float[] t = new float[(to - from) * in];
        for (int i = 0; i < in; i++) {
            for (int o = from; o < to; o++) {
                t[(o - from) * in + i] = w[i * out + o];
            }
        }
        return t;
    }

    static NDArray read(SafeTensors st, String name, Shape expected, NDManager tmp, Path dir) {
        checkShape(st, name, expected, dir);
        if (!tmp.getDevice().equals(Device.cpu())) {
            // the direct byte buffer is wrapped, not copied, then moved to the device
            return tmp.create(st.readFloat32Bytes(name), expected, ai.djl.ndarray.types.DataType.FLOAT32);
        }
        // on the CPU, converted straight into the memory of an uninitialised libtorch tensor: no zeroing, no second copy
        NDArray out = tmp.create(expected, ai.djl.ndarray.types.DataType.FLOAT32);
        st.readFloat32Into(name, out.toByteBuffer(true));
        return out;
    }

    private static void checkShape(SafeTensors st, String name, Shape expected, Path dir) {
        if (!st.contains(name)) {
            throw new InvalidInputException(dir + ": missing tensor '" + name + "' (expected shape " + expected + ")");
        }
        TensorInfo info = st.info(name);
        Shape actual = new Shape(info.shape());
        if (!actual.equals(expected)) {
            throw new InvalidInputException(info.file() + ": tensor '" + name + "' has shape " + actual + " but config.json implies "
                    + expected);
        }
    }

    private static void checkUnused(Set<String> unused, Path dir, ModelConfig c) {
        unused.removeIf(n -> IGNORED.matcher(n).matches());
        if (!unused.isEmpty()) {
            List<String> sorted = new ArrayList<>(unused);
            sorted.sort(null);
            throw new InvalidInputException(dir + ": unexpected tensor" + (sorted.size() > 1 ? "s " : " ")
                    + String.join(", ", sorted.subList(0, Math.min(5, sorted.size())))
                    + (sorted.size() > 5 ? " (and " + (sorted.size() - 5) + " more)" : "")
                    + " not used by " + c + " (does config.json match the weights?)");
        }
    }

    // ---- saving --------------------------------------------------------------------------------------------------

    /**
     * How to write weights: element type, the largest shard (0 = one file), and a folder whose tokenizer files are
     * copied alongside (e.g. the checkpoint the model came from; null for none).
     */
    @RecordBuilder
    public record SaveOptions(DType dtype, long maxShardBytes, @Nullable Path tokenizerFrom)
            implements CheckpointsSaveOptionsBuilder.With {
        public SaveOptions {
            if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
                throw new InvalidInputException("weights can be saved as F32, F16 or BF16, not " + dtype);
            }
        }

        public static SaveOptions defaults() {
            return new SaveOptions(DType.F32, 5L << 30, null);
        }

    }

    /** Saves in f32 as one model.safetensors (up to 5 GB per shard). */
    public static void save(Model model, Path dir) {
        save(model, dir, SaveOptions.defaults());
    }

    /**
     * Saves {@code model} into {@code dir}, which must be empty or claimed by this run ({@link OutputFolder}).
     *
     * @throws OutputFolder.Refused if {@code dir} holds files of another run or another run is writing it
     */
    public static void save(Model model, Path dir, SaveOptions options) {
        ModelConfig c = model.config();
        List<SafeTensorsWriter.NamedTensor> tensors = new ArrayList<>();
        if (c.architecture() == ModelConfig.Architecture.GPT2) {
            tensors.addAll(toGpt2(model).values());
        } else {
            Map<String, SafeTensorsWriter.NamedTensor> named = new LinkedHashMap<>();
            model.weights().forEach((name, w) -> plain(named, name, w));
            tensors.addAll(named.values());
        }
        writeFolder(dir, () -> SafeTensorsWriter.write(dir, tensors, options.dtype(), options.maxShardBytes(), WEIGHTS_METADATA),
                c, options.dtype(), options.tokenizerFrom());
    }

    /**
     * Writes a model folder: claims {@code dir} ({@link OutputFolder}, mode FRESH: refused if it holds another run's
     * files), removes its {@code config.json}, runs {@code weights} (which writes the safetensors files, each one
     * atomically), then {@link #saveConfig}. A save killed at any point leaves the previous complete model, a folder
     * without {@code config.json} that loads as nothing, or the new complete model: never new weights under an old
     * config or the reverse.
     */
    public static void writeFolder(Path dir, Runnable weights, ModelConfig c, DType dtype,
                                   @Nullable Path tokenizerFrom) {
        writeFolder(dir, OutputFolder.Mode.FRESH, weights, c.toHuggingFace(), c, dtype, tokenizerFrom);
    }

    /**
     * {@link #writeFolder(Path, Runnable, ModelConfig, DType, Path)} claiming {@code dir} in {@code mode} and writing
     * {@code config} (the keys of {@code c}, maybe more) as its {@code config.json}.
     */
    static void writeFolder(Path dir, OutputFolder.Mode mode, Runnable weights, ObjectNode config, ModelConfig c,
                            DType dtype, @Nullable Path tokenizerFrom) {
        try (OutputFolder claim = OutputFolder.claim(dir, mode)) {
            Files.deleteIfExists(dir.resolve("config.json"));
            weights.run();
            saveConfig(config, c, dir, dtype, tokenizerFrom);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * The element type a checkpoint stores its weights in, to save a model derived from it in the same type: that of
     * its first F32, F16 or BF16 tensor (F32 if it has none).
     */
    public static DType storedDtype(SafeTensors st) {
        for (String name : st.names()) {
            DType t = st.info(name).dtype();
            if (t == DType.F32 || t == DType.F16 || t == DType.BF16) {
                return t;
            }
        }
        return DType.F32;
    }

    /** {@link #storedDtype(SafeTensors)} of the checkpoint in {@code dir} (reads the headers only). */
    public static DType storedDtype(Path dir) {
        try (SafeTensors st = SafeTensors.open(dir)) {
            return storedDtype(st);
        }
    }

    /** The {@code __metadata__} of saved weight files (what transformers expects of PyTorch weights). */
    public static final Map<String, String> WEIGHTS_METADATA = Map.of("format", "pt");

    /**
     * Everything of a saved folder but the weights: {@code config.json} of {@code c} with {@code torch_dtype} for
     * {@code dtype}, {@code generation_config.json}, and the {@link #TOKENIZER_FILES} found in {@code tokenizerFrom}
     * (null: none). {@link #save} writes these after the weights; {@code config.json} goes last, each file atomically,
     * so a folder with a {@code config.json} is complete.
     */
    public static void saveConfig(ModelConfig c, Path dir, DType dtype, @Nullable Path tokenizerFrom) {
        saveConfig(c.toHuggingFace(), c, dir, dtype, tokenizerFrom);
    }

    /** {@link #saveConfig(ModelConfig, Path, DType, Path)} writing {@code config} (the keys of {@code c}, maybe more). */
    private static void saveConfig(ObjectNode config, ModelConfig c, Path dir, DType dtype,
                                   @Nullable Path tokenizerFrom) {
        try {
            Files.createDirectories(dir);
            config.put("torch_dtype", switch (dtype) {
                case F16 -> "float16";
                case BF16 -> "bfloat16";
                default -> "float32";
            });
            ObjectNode gen = JSON.createObjectNode();
            if (c.bosTokenId() != null) gen.put("bos_token_id", c.bosTokenId());
            if (c.eosTokenId() != null) gen.put("eos_token_id", c.eosTokenId());
            writeJson(dir.resolve("generation_config.json"), gen);
            if (tokenizerFrom != null && !tokenizerFrom.toAbsolutePath().equals(dir.toAbsolutePath())) {
                for (String f : TOKENIZER_FILES) {
                    Path src = tokenizerFrom.resolve(f);
                    if (Files.isRegularFile(src)) {
                        AtomicFiles.write(dir.resolve(f), tmp -> Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING));
                    }
                }
            }
            writeJson(dir.resolve("config.json"), config);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The GPT-2 tensors of a model as [in, out] Conv1D arrays with q, k, v fused, in checkpoint order. */
    private static Map<String, SafeTensorsWriter.NamedTensor> toGpt2(Model m) {
        ModelConfig c = m.config();
        int d = c.hiddenSize(), ff = c.intermediateSize();
        Map<String, SafeTensorsWriter.NamedTensor> out = new LinkedHashMap<>();
        plain(out, "transformer.wte.weight", m.weight(WeightNames.EMBED));
        plain(out, "transformer.wpe.weight", m.weight(WeightNames.POSITIONS));
        for (int i = 0; i < c.numLayers(); i++) {
            String h = "transformer.h." + i + ".";
            plain(out, h + "ln_1.weight", m.weight(WeightNames.attnNorm(i) + ".weight"));
            plain(out, h + "ln_1.bias", m.weight(WeightNames.attnNorm(i) + ".bias"));
            float[] fused = new float[3 * d * d];
            float[] fusedBias = new float[3 * d];
            String[] names = {WeightNames.q(i), WeightNames.k(i), WeightNames.v(i)};
            for (int j = 0; j < 3; j++) {
                // [d_out, d_in] of q/k/v become columns j·d .. (j+1)·d of the [d, 3d] Conv1D weight
                float[] w = m.weight(names[j] + ".weight").toFloatArray();
                for (int o = 0; o < d; o++) {
                    for (int in = 0; in < d; in++) {
                        fused[in * 3 * d + j * d + o] = w[o * d + in];
                    }
                }
                System.arraycopy(m.weight(names[j] + ".bias").toFloatArray(), 0, fusedBias, j * d, d);
            }
            out.put(h + "attn.c_attn.weight", tensor(h + "attn.c_attn.weight", fused, d, 3 * d));
            out.put(h + "attn.c_attn.bias", tensor(h + "attn.c_attn.bias", fusedBias, 3 * d));
            conv1d(out, h + "attn.c_proj.weight", m.weight(WeightNames.o(i) + ".weight"), d, d);
            plain(out, h + "attn.c_proj.bias", m.weight(WeightNames.o(i) + ".bias"));
            plain(out, h + "ln_2.weight", m.weight(WeightNames.mlpNorm(i) + ".weight"));
            plain(out, h + "ln_2.bias", m.weight(WeightNames.mlpNorm(i) + ".bias"));
            conv1d(out, h + "mlp.c_fc.weight", m.weight(WeightNames.up(i) + ".weight"), ff, d);
            plain(out, h + "mlp.c_fc.bias", m.weight(WeightNames.up(i) + ".bias"));
            conv1d(out, h + "mlp.c_proj.weight", m.weight(WeightNames.down(i) + ".weight"), d, ff);
            plain(out, h + "mlp.c_proj.bias", m.weight(WeightNames.down(i) + ".bias"));
        }
        plain(out, "transformer.ln_f.weight", m.weight(WeightNames.FINAL_NORM + ".weight"));
        plain(out, "transformer.ln_f.bias", m.weight(WeightNames.FINAL_NORM + ".bias"));
        return out;
    }

    private static SafeTensorsWriter.NamedTensor tensor(String name, float[] data, long... shape) {
        return new SafeTensorsWriter.NamedTensor(name, shape, FloatBuffer.wrap(data));
    }

    private static void plain(Map<String, SafeTensorsWriter.NamedTensor> out, String name, NDArray w) {
        out.put(name, tensor(name, w.toFloatArray(), w.getShape().getShape()));
    }

    /** A linear weight [out, in] written as a Conv1D weight [in, out]. */
    private static void conv1d(Map<String, SafeTensorsWriter.NamedTensor> out, String name, NDArray w, int rows, int cols) {
        float[] a = w.toFloatArray(); // (rows = out, cols = in)
        out.put(name, tensor(name, conv1dColumns(a, rows, cols, 0, cols), cols, rows));
    }

    private static void writeJson(Path file, ObjectNode node) throws IOException {
        AtomicFiles.write(file, tmp -> JsonMappers.indented().writeValue(tmp.toFile(), node));
    }
}
