package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;

/** Sampling settings are validated once, with messages that name the option as the Java API calls it. */
class GeneratorOptionsTest {
    @Test
    void aBadSettingIsRefusedNamingTheOption() {
        assertEquals("maxTokens must be >= 0, got -1", assertThrows(InvalidInputException.class,
                () -> new Generator.Options(-1, 0, 1, 0, true)).getMessage());
        assertEquals("temperature must be >= 0, got NaN", assertThrows(InvalidInputException.class,
                () -> new Generator.Options(1, Double.NaN, 1, 0, true)).getMessage());
        assertEquals("topP must be in (0, 1], got 1.5", assertThrows(InvalidInputException.class,
                () -> new Generator.Options(1, 0, 1.5, 0, true)).getMessage());
    }
}
