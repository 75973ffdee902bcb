package org.minitron4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCheckpointTest {
    @Test
    void onlyRenamedFoldersWithStateAndTensorsCountAsCheckpoints(@TempDir Path root) throws Exception {
        for (String name : List.of("step-00000002", "step-00000004.tmp", "step-00000003", "other")) {
            Files.createDirectories(root.resolve(name));
        }
        for (String name : List.of("step-00000002", "step-00000004.tmp")) {
            Files.writeString(root.resolve(name).resolve("state.json"), "{}");
            Files.write(root.resolve(name).resolve("model.safetensors"), new byte[8]);
        }
        Files.writeString(root.resolve("step-00000003/state.json"), "{}"); // no tensors: not complete
        assertEquals(List.of(root.resolve("step-00000002")), TrainingCheckpoint.complete(root));
        assertEquals(List.of(), TrainingCheckpoint.complete(root.resolve("missing")));
    }
}
