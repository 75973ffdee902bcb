package org.minitron4j.tinyworld;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.minitron4j.JsonMappers;

/**
 * A word-level vocabulary (specials first, then words by descending frequency, ties alphabetical) that serializes to a
 * Hugging Face {@code tokenizer.json} (WordLevel model, whitespace pre-tokenizer, BOS-prepending post-processor and a
 * decoder that joins words with single spaces) and a matching {@code tokenizer_config.json}.
 */
public final class WordTokenizer {

    /** Unknown-word token, id 0. */
    public static final String UNK = "<unk>";
    /** Beginning-of-sequence token, id 1. */
    public static final String BOS = "<s>";
    /** End-of-sequence token, id 2. */
    public static final String EOS = "</s>";
    /** Padding token, id 3. */
    public static final String PAD = "<pad>";
    /** The special tokens in id order. */
    public static final List<String> SPECIALS = List.of(UNK, BOS, EOS, PAD);

    private static final ObjectMapper JSON = JsonMappers.shared();

    private final List<String> vocabulary;
    private final int modelMaxLength;

    private WordTokenizer(List<String> vocabulary, int modelMaxLength) {
        this.vocabulary = List.copyOf(vocabulary);
        this.modelMaxLength = modelMaxLength;
    }

    /** Builds the vocabulary from word counts; words equal to a special token are not allowed. */
    public static WordTokenizer fromCounts(Map<String, Long> counts, int modelMaxLength) {
        List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
        entries.sort((x, y) -> {
            int c = Long.compare(y.getValue(), x.getValue());
            return c != 0 ? c : x.getKey().compareTo(y.getKey());
        });
        List<String> vocab = new ArrayList<>(SPECIALS);
        for (Map.Entry<String, Long> e : entries) {
            if (SPECIALS.contains(e.getKey()) || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("Word clashes with a special token: '" + e.getKey() + "'");
            }
            vocab.add(e.getKey());
        }
        return new WordTokenizer(vocab, modelMaxLength);
    }

    /** All tokens in id order (specials included). */
    public List<String> vocabulary() {
        return Collections.unmodifiableList(vocabulary);
    }

    /** Number of tokens including specials. */
    public int size() {
        return vocabulary.size();
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** The Hugging Face tokenizers-library JSON. */
    public String tokenizerJson() {
        List<Object> added = new ArrayList<>();
        for (int i = 0; i < SPECIALS.size(); i++) {
            added.add(map("id", i, "content", SPECIALS.get(i), "single_word", false, "lstrip", false, "rstrip", false,
                    "normalized", false, "special", true));
        }
        Map<String, Object> bosSeq = map("SpecialToken", map("id", BOS, "type_id", 0));
        Map<String, Object> post = map("type", "TemplateProcessing",
                "single", List.of(bosSeq, map("Sequence", map("id", "A", "type_id", 0))),
                "pair", List.of(bosSeq, map("Sequence", map("id", "A", "type_id", 0)),
                        map("Sequence", map("id", "B", "type_id", 1))),
                "special_tokens", map(BOS, map("id", BOS, "ids", List.of(1), "tokens", List.of(BOS))));
        Map<String, Object> vocab = new LinkedHashMap<>();
        for (int i = 0; i < vocabulary.size(); i++) {
            vocab.put(vocabulary.get(i), i);
        }
        Map<String, Object> root = map("version", "1.0", "truncation", null, "padding", null,
                "added_tokens", added, "normalizer", null, "pre_tokenizer", map("type", "WhitespaceSplit"),
                "post_processor", post,
                "decoder", map("type", "WordPiece", "prefix", "##", "cleanup", false),
                "model", map("type", "WordLevel", "vocab", vocab, "unk_token", UNK));
        return write(root);
    }

    /** The matching {@code tokenizer_config.json}. */
    public String tokenizerConfigJson() {
        return write(map("tokenizer_class", "PreTrainedTokenizerFast", "bos_token", BOS, "eos_token", EOS,
                "unk_token", UNK, "pad_token", PAD, "add_bos_token", true, "add_eos_token", false,
                "clean_up_tokenization_spaces", false, "model_max_length", modelMaxLength));
    }

    private static String write(Object o) {
        try {
            DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
            pp.indentArraysWith(new DefaultIndenter("  ", "\n"));
            return JSON.writer(pp).writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
