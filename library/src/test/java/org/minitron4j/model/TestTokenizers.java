package org.minitron4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes small word-level tokenizer.json files for tests: ids 0 = &lt;unk&gt;, 1 = &lt;s&gt;, 2 = &lt;/s&gt;, then the words. */
public final class TestTokenizers {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestTokenizers() {}

    /** Writes dir/tokenizer.json; the post-processor adds &lt;s&gt; in front, and &lt;/s&gt; at the end if addEos. */
    public static Path writeWordLevel(Path dir, List<String> words, boolean addEos) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < specials.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", specials[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        if (addEos) {
            single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        }
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens");
        ObjectNode s = st.putObject("<s>");
        s.put("id", "<s>");
        s.putArray("ids").add(1);
        s.putArray("tokens").add("<s>");
        if (addEos) {
            ObjectNode e = st.putObject("</s>");
            e.put("id", "</s>");
            e.putArray("ids").add(2);
            e.putArray("tokens").add("</s>");
        }
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], i);
        }
        int id = specials.length;
        for (String w : words) {
            if (!vocab.has(w)) {
                vocab.put(w, id++);
            }
        }
        model.put("unk_token", "<unk>");
        Files.createDirectories(dir);
        Path file = dir.resolve("tokenizer.json");
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        return file;
    }
}
