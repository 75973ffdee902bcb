package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;

class TokenizerTest {
    @TempDir Path dir;

    @Test
    void encodesWithAndWithoutSpecials() throws Exception {
        TestTokenizers.writeWordLevel(dir, List.of("the", "cat", "sat"), false);
        try (Tokenizer tok = Tokenizer.load(dir)) {
            assertArrayEquals(new int[] {1, 3, 4, 5}, tok.encode("the cat sat", true));
            assertArrayEquals(new int[] {3, 4, 5}, tok.encode("the  cat\nsat", false));
            assertArrayEquals(new int[] {3, 0}, tok.encode("the dog", false));
            assertEquals(6, tok.vocabSize());
            assertEquals(OptionalInt.of(1), tok.bosTokenId());
            assertEquals(OptionalInt.of(2), tok.eosTokenId());
            assertFalse(tok.addsEosToken());
            assertTrue(tok.addsBosToken());
            assertEquals("the cat", tok.decode(new int[] {1, 3, 4}, true));
            assertTrue(tok.decode(new int[] {1, 3, 4}, false).contains("<s>"));
        }
    }

    @Test
    void detectsPostProcessorEos() throws Exception {
        Path file = TestTokenizers.writeWordLevel(dir.resolve("x"), List.of("a", "b"), true);
        try (Tokenizer tok = Tokenizer.load(file)) {
            assertTrue(tok.addsEosToken());
            assertArrayEquals(new int[] {1, 3, 4, 2}, tok.encode("a b", true));
        }
    }

    @Test
    void neverTruncates() throws Exception {
        TestTokenizers.writeWordLevel(dir, List.of("w"), false);
        String text = "w ".repeat(3000);
        try (Tokenizer tok = Tokenizer.load(dir)) {
            assertEquals(3000, tok.encode(text, false).length);
            assertEquals(3001, tok.encode(text, true).length);
        }
    }

    @Test
    void tokenizerConfigOverridesBosEos() throws Exception {
        TestTokenizers.writeWordLevel(dir, List.of("<|endoftext|>", "x"), false);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<|endoftext|>\"}, \"eos_token\": \"<|endoftext|>\"}");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            assertEquals(OptionalInt.of(3), tok.bosTokenId());
            assertEquals(OptionalInt.of(3), tok.eosTokenId());
            assertFalse(tok.addsBosToken()); // the post-processor adds <s>, not the configured BOS
        }
    }

    @Test
    void missingOrCorruptFilesAreInvalidInput() throws Exception {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        Path bad = dir.resolve("tokenizer.json");
        Files.writeString(bad, "{not json");
        e = assertThrows(InvalidInputException.class, () -> Tokenizer.load(bad));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        Files.writeString(bad, "{\"model\": {\"type\": \"Nope\", \"vocab\": {\"a\": 0}}}");
        e = assertThrows(InvalidInputException.class, () -> Tokenizer.load(dir));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }
}
