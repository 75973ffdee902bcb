package org.minitron4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;

/** Claims of output folders: refusal, overwrite, resume, nesting, locks across threads and processes, killed saves. */
class OutputFolderTest {
    @TempDir
    Path tmp;

    @Test
    void aFreshClaimCreatesTheFolderLocksItAndReleasesTheLock() {
        Path dir = tmp.resolve("new/out");
        try (OutputFolder f = OutputFolder.claim(dir, OutputFolder.Mode.FRESH)) {
            assertTrue(Files.isRegularFile(dir.resolve(OutputFolder.LOCK_FILE)));
            assertTrue(Files.readString(dir.resolve(OutputFolder.LOCK_FILE)).contains("pid=" + ProcessHandle.current().pid()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertFalse(Files.exists(dir.resolve(OutputFolder.LOCK_FILE)));
    }

    @Test
    void aNonEmptyFolderIsRefusedUnchangedWithItsContentsAndTheWaysForward() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        for (String f : new String[] {"a.txt", "b.txt", "c.txt", "d.txt", "e.txt"}) {
            Files.writeString(dir.resolve(f), f);
        }
        Files.createDirectories(dir.resolve("checkpoints"));
        Map<String, String> before = Folders.hashes(dir);
        OutputFolder.Refused e = assertThrows(OutputFolder.Refused.class, () -> OutputFolder.claim(dir, OutputFolder.Mode.FRESH));
        assertTrue(e.getMessage().startsWith(dir + " is not empty"), e.getMessage());
        assertTrue(e.getMessage().contains("a.txt, b.txt, c.txt, checkpoints/ and 2 more"), e.getMessage());
        assertTrue(e.getMessage().contains("--overwrite") && !e.getMessage().contains("--resume"), e.getMessage());
        assertEquals(before, Folders.hashes(dir));
        assertEquals(6, Files.list(dir).count(), "no lock file left behind");

        e = assertThrows(OutputFolder.Refused.class, () -> OutputFolder.claim(dir, OutputFolder.Mode.FRESH, "run.json"));
        assertTrue(e.getMessage().contains("--resume") && e.getMessage().contains("--overwrite"), e.getMessage());
        e = assertThrows(OutputFolder.Refused.class, () -> OutputFolder.claim(dir, OutputFolder.Mode.RESUME, "run.json"));
        assertTrue(e.getMessage().contains("holds no run.json"), e.getMessage());
        assertEquals(before, Folders.hashes(dir));
    }

    @Test
    void overwriteDeletesThePreviousContentsAndResumeKeepsThem() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("out/sub"));
        Files.writeString(dir.resolve("x.txt"), "x");
        Files.writeString(tmp.resolve("out/run.json"), "{}");
        try (OutputFolder f = OutputFolder.claim(tmp.resolve("out"), OutputFolder.Mode.RESUME, "run.json")) {
            assertTrue(Files.exists(dir.resolve("x.txt")));
        }
        try (OutputFolder f = OutputFolder.claim(tmp.resolve("out"), OutputFolder.Mode.OVERWRITE)) {
            try (Stream<Path> left = Files.list(tmp.resolve("out"))) {
                assertEquals(java.util.List.of(OutputFolder.LOCK_FILE), left.map(p -> p.getFileName().toString()).toList());
            }
        }
        assertEquals(0, Files.list(tmp.resolve("out")).count());
        assertThrows(OutputFolder.Refused.class, () -> OutputFolder.claim(Path.of(System.getProperty("user.dir")),
                OutputFolder.Mode.OVERWRITE), "never clears the working directory");
    }

    @Test
    void theRunHoldingAClaimWritesBelowItButAnotherThreadIsRefused() throws Exception {
        Path dir = tmp.resolve("out");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (OutputFolder f = OutputFolder.claim(dir, OutputFolder.Mode.FRESH)) {
            Files.writeString(dir.resolve("config.json"), "{}");
            OutputFolder.claim(dir.resolve("checkpoints"), OutputFolder.Mode.FRESH).close(); // nested: the same run
            OutputFolder.claim(dir, OutputFolder.Mode.FRESH).close();
            var refused = other.submit(() -> assertThrows(OutputFolder.Refused.class,
                    () -> OutputFolder.claim(dir, OutputFolder.Mode.RESUME))).get();
            assertTrue(refused.getMessage().contains("being written by another run (pid " + ProcessHandle.current().pid()),
                    refused.getMessage());
            assertTrue(Files.exists(dir.resolve(OutputFolder.LOCK_FILE)), "a refused claim leaves the holder's lock");
        } finally {
            other.shutdown();
        }
        assertFalse(Files.exists(dir.resolve(OutputFolder.LOCK_FILE)));
    }

    @Test
    void aLiveProcessHoldsTheFolderAndOnceKilledItsStaleLockIsTakenOver() throws Exception {
        Path dir = tmp.resolve("out");
        ChildJvm child = ChildJvm.start("hold", dir);
        try {
            OutputFolder.Refused e = assertThrows(OutputFolder.Refused.class, () -> OutputFolder.claim(dir, OutputFolder.Mode.FRESH));
            assertTrue(e.getMessage().contains("being written by another run") && e.getMessage().contains(dir.toString()),
                    e.getMessage());
        } finally {
            child.kill();
        }
        assertTrue(Files.exists(dir.resolve(OutputFolder.LOCK_FILE)), "kill -9 leaves the lock file");
        try (OutputFolder f = OutputFolder.claim(dir, OutputFolder.Mode.FRESH)) {
            assertTrue(Files.readString(dir.resolve(OutputFolder.LOCK_FILE)).contains("pid=" + ProcessHandle.current().pid()));
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "the stale lock and the moved-aside copy are gone");
        }
    }

    /**
     * A process that saves two models of different shapes into one folder in turn (with a pause after each save, as a
     * training run saves now and then) is killed with SIGKILL at random moments until both outcomes were seen: the
     * folder loads as exactly one of the two models, or as nothing (no config.json), never as a mix. Each next child
     * takes over the killed one's stale lock.
     */
    @Test
    void aSaveKilledAtRandomPointsLeavesAWholeModelOrNothing() throws Exception {
        Path dir = tmp.resolve("model");
        SplittableRandom random = new SplittableRandom(20);
        int whole = 0, nothing = 0;
        try (Model a = Model.random(ChildJvm.A, Device.cpu(), ChildJvm.SEED_A);
             Model b = Model.random(ChildJvm.B, Device.cpu(), ChildJvm.SEED_B)) {
            Checkpoints.save(a, dir, Checkpoints.SaveOptions.defaults().withMaxShardBytes(ChildJvm.SHARD_BYTES));
            for (int kill = 0; kill < 12 && (whole == 0 || nothing == 0); kill++) {
                ChildJvm child = ChildJvm.start("save", dir);
                Thread.sleep(random.nextInt(20, 400));
                child.kill();
                if (!Files.exists(dir.resolve("config.json"))) {
                    assertThrows(InvalidInputException.class, () -> Checkpoints.load(dir, Device.cpu()).close());
                    nothing++;
                    continue;
                }
                try (Model back = Checkpoints.load(dir, Device.cpu())) {
                    Model expected = back.config().equals(ChildJvm.A) ? a : b;
                    assertEquals(expected.config(), back.config());
                    for (Map.Entry<String, NDArray> w : expected.weights().entrySet()) {
                        assertArrayEquals(w.getValue().toFloatArray(), back.weight(w.getKey()).toFloatArray(), w.getKey());
                    }
                    whole++;
                }
            }
        }
        assertTrue(whole > 0 && nothing > 0, "kills left " + whole + " whole models and " + nothing + " empty folders");
    }
}
