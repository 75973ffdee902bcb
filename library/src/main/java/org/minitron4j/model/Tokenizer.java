package org.minitron4j.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/**
 * A Hugging Face {@code tokenizer.json} loaded through DJL, configured never to truncate or pad, with the BOS/EOS ids
 * and vocabulary size resolved from the tokenizer files.
 */
public final class Tokenizer implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMappers.shared();
    private static final List<String> BOS_NAMES =
            List.of("<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", "[BOS]", "<|endoftext|>");
    private static final List<String> EOS_NAMES =
            List.of("</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>", "<|eot_id|>", "[EOS]");
    private static final String PROBE = "hello world";

    private final HuggingFaceTokenizer hf;
    private final Path source;
    private final int vocabSize;
    private final Map<String, Integer> tokenIds;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final boolean addsBos;
    private final boolean addsEos;

    private Tokenizer(HuggingFaceTokenizer hf, Path source, int vocabSize, Map<String, Integer> tokenIds,
            OptionalInt bos, OptionalInt eos) {
        this.hf = hf;
        this.source = source;
        this.vocabSize = vocabSize;
        this.tokenIds = tokenIds;
        this.bos = bos;
        this.eos = eos;
        int[] with = encode(PROBE, true);
        int[] without = encode(PROBE, false);
        this.addsEos = eos.isPresent() && with.length > 0 && with[with.length - 1] == eos.getAsInt()
                && (without.length == 0 || without[without.length - 1] != eos.getAsInt());
        this.addsBos = bos.isPresent() && with.length > 0 && with[0] == bos.getAsInt()
                && (without.length == 0 || without[0] != bos.getAsInt());
    }

    /**
     * Loads a tokenizer from a directory holding {@code tokenizer.json} (and optionally {@code tokenizer_config.json})
     * or from the {@code tokenizer.json} file itself.
     *
     * @throws InvalidInputException if the file is missing, is not JSON, or is rejected by the tokenizers library
     */
    public static Tokenizer load(Path dirOrFile) {
        Path json = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("tokenizer.json") : dirOrFile;
        if (!Files.isRegularFile(json)) {
            throw new InvalidInputException("tokenizer file not found: " + json
                    + (Files.isDirectory(dirOrFile) ? " (the directory has no tokenizer.json)" : ""));
        }
        byte[] bytes;
        JsonNode root;
        try {
            bytes = Files.readAllBytes(json);
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read tokenizer " + json + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject() || !root.path("model").isObject()) {
            throw new InvalidInputException("corrupt tokenizer " + json + ": expected a JSON object with a \"model\"");
        }
        Map<String, Integer> ids = new HashMap<>();
        int maxId = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = e.getValue().asInt();
                ids.put(e.getKey(), id);
                maxId = Math.max(maxId, id);
            }
        } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
            for (int i = 0; i < vocab.size(); i++) {
                ids.put(vocab.get(i).path(0).asText(), i);
            }
            maxId = vocab.size() - 1;
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("id").isInt() && added.path("content").isTextual()) {
                int id = added.get("id").asInt();
                ids.put(added.get("content").asText(), id);
                maxId = Math.max(maxId, id);
            }
        }
        if (maxId < 0) {
            throw new InvalidInputException("corrupt tokenizer " + json + ": the model has an empty vocabulary");
        }
        HuggingFaceTokenizer hf;
        try {
            // truncation/padding off explicitly: DJL would otherwise truncate at modelMaxLength (512 by default).
            Map<String, String> options = Map.of("truncation", "false", "padding", "false",
                    "addSpecialTokens", "true", "withOverflowingTokens", "false");
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException("corrupt tokenizer " + json + ": " + e.getMessage(), e);
        }
        JsonNode config = null;
        Path configFile = json.resolveSibling("tokenizer_config.json");
        if (Files.isRegularFile(configFile)) {
            try {
                config = JSON.readTree(configFile.toFile());
            } catch (IOException e) {
                hf.close();
                throw new InvalidInputException("corrupt tokenizer config " + configFile + ": " + e.getMessage(), e);
            }
        }
        OptionalInt bos = resolve(config, "bos_token", ids, BOS_NAMES);
        OptionalInt eos = resolve(config, "eos_token", ids, EOS_NAMES);
        return new Tokenizer(hf, json, maxId + 1, Map.copyOf(ids), bos, eos);
    }

    private static OptionalInt resolve(JsonNode config, String field, Map<String, Integer> ids, List<String> names) {
        if (config != null) {
            JsonNode v = config.path(field);
            String name = v.isTextual() ? v.asText() : v.path("content").isTextual() ? v.path("content").asText() : null;
            if (name != null && ids.containsKey(name)) {
                return OptionalInt.of(ids.get(name));
            }
        }
        for (String name : names) {
            if (ids.containsKey(name)) {
                return OptionalInt.of(ids.get(name));
            }
        }
        return OptionalInt.empty();
    }

    /** Encodes text; special tokens are added exactly as the post-processor says. Never truncates, never pads. */
    public int[] encode(String text, boolean addSpecialTokens) {
        long[] ids = hf.encode(text, addSpecialTokens, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** Decodes ids back to text, optionally dropping special tokens. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return hf.decode(l, skipSpecialTokens);
    }

    /** One more than the largest id of the model vocabulary and the added tokens. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The id of a token string from the vocabulary or the added tokens, if present. */
    public OptionalInt tokenId(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The BOS id: {@code bos_token} of tokenizer_config.json, else a conventionally named token. */
    public OptionalInt bosTokenId() {
        return bos;
    }

    /** The EOS id: {@code eos_token} of tokenizer_config.json, else a conventionally named token. */
    public OptionalInt eosTokenId() {
        return eos;
    }

    /** Whether encoding with special tokens appends the EOS token by itself (found by encoding a probe). */
    public boolean addsEosToken() {
        return addsEos;
    }

    /** Whether encoding with special tokens prepends the BOS token by itself (found by encoding a probe). */
    public boolean addsBosToken() {
        return addsBos;
    }

    /** The tokenizer.json this was loaded from. */
    public Path source() {
        return source;
    }

    @Override
    public void close() {
        hf.close();
    }
}
