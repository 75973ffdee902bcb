package org.minitron4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunRecordTest {
    @Test
    void timingAndOutputPathsAreNotCompared() {
        for (String v : List.of("seconds", "tokens_per_s", "samples_per_s", "out", "wall_seconds", "created", "calibration_seconds")) {
            assertTrue(RunRecord.isVolatile(v), v);
        }
        for (String k : List.of("loss", "validation_loss", "acc", "tokens", "steps", "layout", "timeout_steps", "outcome")) {
            assertFalse(RunRecord.isVolatile(k), k);
        }
    }

    @Test
    void resultsFlattenToDottedPathsWithExactNumberText() throws Exception {
        var node = new ObjectMapper().readTree("{\"a\":{\"b\":0.1,\"seconds\":3},\"list\":[1,2],\"rows\":[{\"x\":1e-300}],\"s\":\"kld\",\"out\":\"/x\"}");
        Map<String, String> flat = RunRecord.flatten(node);
        assertEquals(Map.of("a.b", "0.1", "list", "[1,2]", "rows[0].x", "1.0E-300", "s", "kld"), flat);
        // the text of a double is its shortest exact representation: equal text <=> equal bits
        double d = Math.nextUp(0.1);
        assertFalse(RunRecord.flatten(new ObjectMapper().valueToTree(Map.of("v", d))).get("v").equals("0.1"));
    }

    @Test
    void folderFingerprintsDependOnNamesAndContents(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Files.writeString(a.resolve("x.txt"), "hello");
        Files.writeString(a.resolve("y.txt"), "world");
        Fingerprint f1 = Fingerprint.of("--model", a);
        assertEquals(2, f1.files());
        assertEquals(10, f1.bytes());
        Files.move(a.resolve("y.txt"), a.resolve("z.txt"));
        assertFalse(f1.sameContent(Fingerprint.of("--model", a)), "renaming a file changes the folder's fingerprint");
        Files.move(a.resolve("z.txt"), a.resolve("y.txt"));
        assertTrue(f1.sameContent(Fingerprint.of("--other-role", a)));
        // a single file hashes to its standard SHA-256
        assertEquals("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                Fingerprint.of("--data", a.resolve("x.txt")).sha256());
    }
}
