package org.minitron4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmOptionsTest {
    /** The tests run with library/jvm.options (surefire's argLine), as the launcher and the notebook kernel do. */
    @Test
    void aChildJvmInheritsTheJitThresholdsOfJvmOptions() throws IOException {
        List<String> file = Files.readAllLines(Path.of("jvm.options")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertFalse(file.isEmpty());
        assertEquals(file, JvmOptions.inherited(), "JvmOptions.inherited() passes on the -XX:Tier options; an option of"
                + " another kind in jvm.options needs it to pass that on too");
    }
}
