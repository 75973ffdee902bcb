package org.minitron4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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
import org.minitron4j.InvalidInputException;

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

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Tensors some checkpoints carry that are buffers, not parameters (recomputed here). */
    private static final Pattern IGNORED = Pattern.compile(
            ".*(rotary_emb\\.inv_freq|attn\\.bias|attn\\.masked_bias)$");

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

    private static Map<String, NDArray> readLlamaFamily(ModelConfig config, SafeTensors st, NDManager tmp, Path dir) {
        Map<String, Shape> layout = WeightNames.layout(config);
        Set<String> unused = new HashSet<>(st.names());
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : layout.entrySet()) {
            out.put(e.getKey(), read(st, e.getKey(), e.getValue(), tmp, dir));
            unused.remove(e.getKey());
        }
        if (config.tieWordEmbeddings()) {
            unused.remove(WeightNames.LM_HEAD); // some tied checkpoints also store the (identical) head
        }
        checkUnused(unused, dir, config);
        return out;
    }

    /** GPT-2 stores Conv1D weights as [in, out] and q, k, v fused in c_attn; names with or without "transformer.". */
    private static Map<String, NDArray> readGpt2(ModelConfig c, SafeTensors st, NDManager tmp, Path dir) {
        String p = st.contains("transformer.wte.weight") ? "transformer." : "";
        long d = c.hiddenSize(), ff = c.intermediateSize();
        Set<String> unused = new HashSet<>(st.names());
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(WeightNames.EMBED, take(st, p + "wte.weight", new Shape(c.vocabSize(), d), tmp, dir, unused));
        out.put(WeightNames.POSITIONS, take(st, p + "wpe.weight", new Shape(c.maxPositionEmbeddings(), d), tmp, dir, unused));
        for (int i = 0; i < c.numLayers(); i++) {
            String h = p + "h." + i + ".";
            out.put(WeightNames.attnNorm(i) + ".weight", take(st, h + "ln_1.weight", new Shape(d), tmp, dir, unused));
            out.put(WeightNames.attnNorm(i) + ".bias", take(st, h + "ln_1.bias", new Shape(d), tmp, dir, unused));
            NDList qkv = take(st, h + "attn.c_attn.weight", new Shape(d, 3 * d), tmp, dir, unused).transpose().split(3, 0);
            NDList qkvBias = take(st, h + "attn.c_attn.bias", new Shape(3 * d), tmp, dir, unused).split(3, 0);
            String[] names = {WeightNames.q(i), WeightNames.k(i), WeightNames.v(i)};
            for (int j = 0; j < 3; j++) {
                out.put(names[j] + ".weight", qkv.get(j));
                out.put(names[j] + ".bias", qkvBias.get(j));
            }
            out.put(WeightNames.o(i) + ".weight", take(st, h + "attn.c_proj.weight", new Shape(d, d), tmp, dir, unused).transpose());
            out.put(WeightNames.o(i) + ".bias", take(st, h + "attn.c_proj.bias", new Shape(d), tmp, dir, unused));
            out.put(WeightNames.mlpNorm(i) + ".weight", take(st, h + "ln_2.weight", new Shape(d), tmp, dir, unused));
            out.put(WeightNames.mlpNorm(i) + ".bias", take(st, h + "ln_2.bias", new Shape(d), tmp, dir, unused));
            out.put(WeightNames.up(i) + ".weight", take(st, h + "mlp.c_fc.weight", new Shape(d, ff), tmp, dir, unused).transpose());
            out.put(WeightNames.up(i) + ".bias", take(st, h + "mlp.c_fc.bias", new Shape(ff), tmp, dir, unused));
            out.put(WeightNames.down(i) + ".weight", take(st, h + "mlp.c_proj.weight", new Shape(ff, d), tmp, dir, unused).transpose());
            out.put(WeightNames.down(i) + ".bias", take(st, h + "mlp.c_proj.bias", new Shape(d), tmp, dir, unused));
        }
        out.put(WeightNames.FINAL_NORM + ".weight", take(st, p + "ln_f.weight", new Shape(d), tmp, dir, unused));
        out.put(WeightNames.FINAL_NORM + ".bias", take(st, p + "ln_f.bias", new Shape(d), tmp, dir, unused));
        unused.remove(WeightNames.LM_HEAD);
        checkUnused(unused, dir, c);
        return out;
    }

    private static NDArray take(SafeTensors st, String name, Shape shape, NDManager tmp, Path dir, Set<String> unused) {
        unused.remove(name);
        return read(st, name, shape, tmp, dir);
    }

    private static NDArray read(SafeTensors st, String name, Shape expected, NDManager tmp, Path dir) {
        if (!st.contains(name)) {
            throw new InvalidInputException(dir + ": missing tensor '" + name + "' (expected shape " + expected + ")");
        }
        TensorInfo info = st.info(name);
        Shape actual = new Shape(info.shape());
        if (!actual.equals(expected)) {
            throw new InvalidInputException(info.file() + ": tensor '" + name + "' has shape " + actual + " but config.json implies "
                    + expected);
        }
        FloatBuffer data = st.readFloat32(name);
        return tmp.create(data, expected);
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

    /** How to write weights: element type and the largest shard (0 = one file). */
    public record SaveOptions(DType dtype, long maxShardBytes, Path tokenizerFrom) {
        public SaveOptions {
            if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
                throw new InvalidInputException("weights can be saved as F32, F16 or BF16, not " + dtype);
            }
        }

        public static SaveOptions defaults() {
            return new SaveOptions(DType.F32, 5L << 30, null);
        }

        public SaveOptions withDtype(DType d) { return new SaveOptions(d, maxShardBytes, tokenizerFrom); }
        public SaveOptions withMaxShardBytes(long b) { return new SaveOptions(dtype, b, tokenizerFrom); }
        /** Copies tokenizer files from this folder (e.g. the checkpoint the model came from). */
        public SaveOptions withTokenizerFrom(Path dir) { return new SaveOptions(dtype, maxShardBytes, dir); }
    }

    /** Saves in f32 as one model.safetensors (up to 5 GB per shard). */
    public static void save(Model model, Path dir) {
        save(model, dir, SaveOptions.defaults());
    }

    public static void save(Model model, Path dir, SaveOptions options) {
        ModelConfig c = model.config();
        try {
            Files.createDirectories(dir);
            List<SafeTensorsWriter.NamedTensor> tensors = new ArrayList<>();
            try (NDManager tmp = model.manager().newSubManager()) {
                Map<String, NDArray> hf = c.architecture() == ModelConfig.Architecture.GPT2 ? toGpt2(model, tmp) : model.weights();
                for (Map.Entry<String, NDArray> e : hf.entrySet()) {
                    NDArray w = e.getValue();
                    tensors.add(new SafeTensorsWriter.NamedTensor(e.getKey(), w.getShape().getShape(),
                            FloatBuffer.wrap(w.toFloatArray())));
                }
            }
            SafeTensorsWriter.write(dir, tensors, options.dtype(), options.maxShardBytes(), Map.of("format", "pt"));
            ObjectNode config = c.toHuggingFace();
            config.put("torch_dtype", switch (options.dtype()) {
                case F16 -> "float16";
                case BF16 -> "bfloat16";
                default -> "float32";
            });
            writeJson(dir.resolve("config.json"), config);
            ObjectNode gen = JSON.createObjectNode();
            if (c.bosTokenId() != null) gen.put("bos_token_id", c.bosTokenId());
            if (c.eosTokenId() != null) gen.put("eos_token_id", c.eosTokenId());
            writeJson(dir.resolve("generation_config.json"), gen);
            if (options.tokenizerFrom() != null && !options.tokenizerFrom().toAbsolutePath().equals(dir.toAbsolutePath())) {
                for (String f : TOKENIZER_FILES) {
                    Path src = options.tokenizerFrom().resolve(f);
                    if (Files.isRegularFile(src)) {
                        Files.copy(src, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, NDArray> toGpt2(Model m, NDManager tmp) {
        ModelConfig c = m.config();
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("transformer.wte.weight", m.weight(WeightNames.EMBED));
        out.put("transformer.wpe.weight", m.weight(WeightNames.POSITIONS));
        for (int i = 0; i < c.numLayers(); i++) {
            String h = "transformer.h." + i + ".";
            out.put(h + "ln_1.weight", m.weight(WeightNames.attnNorm(i) + ".weight"));
            out.put(h + "ln_1.bias", m.weight(WeightNames.attnNorm(i) + ".bias"));
            NDList w = new NDList(m.weight(WeightNames.q(i) + ".weight"), m.weight(WeightNames.k(i) + ".weight"),
                    m.weight(WeightNames.v(i) + ".weight"));
            NDList b = new NDList(m.weight(WeightNames.q(i) + ".bias"), m.weight(WeightNames.k(i) + ".bias"),
                    m.weight(WeightNames.v(i) + ".bias"));
            out.put(h + "attn.c_attn.weight", attached(NDArrays.concat(w, 0).transpose(), tmp));
            out.put(h + "attn.c_attn.bias", attached(NDArrays.concat(b, 0), tmp));
            out.put(h + "attn.c_proj.weight", attached(m.weight(WeightNames.o(i) + ".weight").transpose(), tmp));
            out.put(h + "attn.c_proj.bias", m.weight(WeightNames.o(i) + ".bias"));
            out.put(h + "ln_2.weight", m.weight(WeightNames.mlpNorm(i) + ".weight"));
            out.put(h + "ln_2.bias", m.weight(WeightNames.mlpNorm(i) + ".bias"));
            out.put(h + "mlp.c_fc.weight", attached(m.weight(WeightNames.up(i) + ".weight").transpose(), tmp));
            out.put(h + "mlp.c_fc.bias", m.weight(WeightNames.up(i) + ".bias"));
            out.put(h + "mlp.c_proj.weight", attached(m.weight(WeightNames.down(i) + ".weight").transpose(), tmp));
            out.put(h + "mlp.c_proj.bias", m.weight(WeightNames.down(i) + ".bias"));
        }
        out.put("transformer.ln_f.weight", m.weight(WeightNames.FINAL_NORM + ".weight"));
        out.put("transformer.ln_f.bias", m.weight(WeightNames.FINAL_NORM + ".bias"));
        return out;
    }

    /** Results of ops on model weights land in the model's manager: move them to the temporary scope. */
    private static NDArray attached(NDArray a, NDManager tmp) {
        a.attach(tmp);
        return a;
    }

    private static void writeJson(Path file, ObjectNode node) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), node);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
