package org.minitron4j.tinyworld;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.minitron4j.JsonMappers;

/**
 * One Winogrande-format item in the original schema: a sentence with exactly one {@code _}, two options and the
 * answer "1" or "2".
 */
public record WinograndeItem(String qID, String sentence, String option1, String option2, String answer) {

    private static final ObjectMapper JSON = JsonMappers.shared();

    /** The sentence with the blank replaced by option 1 or 2. */
    public String filled(int option) {
        return sentence.replace("_", option == 1 ? option1 : option2);
    }

    /** The correct option's text. */
    public String correctOption() {
        return "1".equals(answer) ? option1 : option2;
    }

    /** Compact JSON object with the keys in the original order (qID, sentence, option1, option2, answer). */
    public String toJson() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qID", qID);
        m.put("sentence", sentence);
        m.put("option1", option1);
        m.put("option2", option2);
        m.put("answer", answer);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses one JSONL line written by {@link #toJson}. */
    public static WinograndeItem fromJson(String line) {
        try {
            Map<?, ?> m = JSON.readValue(line, Map.class);
            return new WinograndeItem((String) m.get("qID"), (String) m.get("sentence"), (String) m.get("option1"),
                    (String) m.get("option2"), (String) m.get("answer"));
        } catch (JsonProcessingException e) {
            throw new org.minitron4j.InvalidInputException("Malformed Winogrande line: " + line, e);
        }
    }
}
