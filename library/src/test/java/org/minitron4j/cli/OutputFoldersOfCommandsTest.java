package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.minitron4j.ChildJvm;
import org.minitron4j.Folders;
import org.minitron4j.OutputFolder;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.tinyworld.TinyWorld;
import org.minitron4j.tinyworld.TinyWorldOptions;

/**
 * Every command that writes a folder: a fresh folder is written; the same folder again is refused (exit 2, the folder
 * byte-identical); {@code --overwrite} leaves only the new run's files; a folder another process is writing is
 * refused, and taken over once that process is killed; {@code distill --resume} continues its own run.
 */
class OutputFoldersOfCommandsTest {
    static final Path LLAMA = CliTest.FIXTURES.resolve("llama"), TOKENS = LLAMA.resolve("tokens.bin");

    @TempDir
    static Path shared;
    static Path student, searchModel, searchTrain, searchValidation, world;

    @BeforeAll
    static void setUp() throws Exception {
        student = shared.resolve("student");
        try (Model m = Model.random(ModelConfig.llama(128, 32, 64, 1, 2, 1), Device.cpu(), 3)) {
            Checkpoints.save(m, student);
        }
        searchModel = shared.resolve("search-model");
        try (Model m = Model.random(SearchCommandTest.BASE, Device.cpu(), 5)) {
            Checkpoints.save(m, searchModel);
        }
        searchTrain = shared.resolve("train.bin");
        searchValidation = shared.resolve("validation.bin");
        SearchCommandTest.writeBin(searchTrain, SearchCommandTest.stream(600, 1));
        SearchCommandTest.writeBin(searchValidation, SearchCommandTest.stream(300, 2));
        world = shared.resolve("world");
        TinyWorld.generate(world, new TinyWorldOptions(7, 20_000, 3_000, 3_000, 40, 10, 10));
    }

    /** A quick command line of {@code command} writing {@code out}. */
    static List<String> args(String command, Path out) {
        List<String> a = new ArrayList<>(switch (command) {
            case "prune" -> List.of("prune", "--model", LLAMA.toString(), "--ranking", "magnitude", "--hidden", "32",
                    "--ffn", "96", "--json");
            case "importance" -> List.of("importance", "--model", LLAMA.toString(), "--data", TOKENS.toString(),
                    "--samples", "4", "--seq-len", "16", "--batch-size", "4", "--json");
            case "distill" -> List.of("distill", "--teacher", LLAMA.toString(), "--student", student.toString(),
                    "--data", TOKENS.toString(), "--tokens", "64", "--batch-size", "2", "--seq-len", "16",
                    "--checkpoint-every", "1", "--json");
            case "search" -> List.of("search", "--model", searchModel.toString(), "--calibration", searchTrain.toString(),
                    "--calibration-samples", "4", "--params", Long.toString(SearchCommandTest.BUDGET), "--tolerance", "0.1",
                    "--candidates", "2", "--validation", searchValidation.toString(), "--seq-len", "16", "--batch-size", "2",
                    "--json");
            case "teacher" -> List.of("teacher", "--dataset", world.toString(), "--steps", "1", "--json");
            case "demo" -> List.of("demo", "--teacher", shared.resolve("no-teacher").toString(), "--dataset", world.toString(),
                    "--json");
            case "tinyworld" -> List.of("tinyworld");
            default -> throw new IllegalArgumentException(command);
        });
        a.addAll(List.of("--out", out.toString()));
        return a;
    }

    static CliTest.Run run(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(Arrays.asList(more));
        return CliTest.run(all.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"prune", "importance", "distill", "search", "teacher"})
    void aSecondRunIntoTheSameFolderIsRefusedAndOverwriteLeavesOnlyTheNewRunsFiles(String command, @TempDir Path tmp)
            throws Exception {
        Path out = tmp.resolve("out");
        List<String> args = args(command, out);
        CliTest.Run fresh = run(args);
        assertEquals(0, fresh.code(), fresh.err());
        Map<String, String> written = Folders.hashes(out);
        assertFalse(written.containsKey(OutputFolder.LOCK_FILE), "the lock is released");

        CliTest.Run again = run(args);
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains(out + " is not empty") && again.err().contains("--overwrite")
                && !again.err().contains("OutputFolder.Mode"), again.err());
        assertEquals(command.equals("distill") || command.equals("teacher"), again.err().contains("--resume"),
                again.err()); // the commands that checkpoint
        assertEquals(written, Folders.hashes(out), "a refused run changes nothing");

        Files.writeString(out.resolve("notes.txt"), "a user's file");
        CliTest.Run overwrite = run(args, "--overwrite");
        assertEquals(0, overwrite.code(), overwrite.err());
        assertEquals(written.keySet(), Folders.hashes(out).keySet(), "only the new run's files");
    }

    @ParameterizedTest
    @ValueSource(strings = {"prune", "importance", "distill", "search", "teacher", "demo", "tinyworld"})
    void aFolderHoldingAnotherRunsFilesIsRefusedByteIdentical(String command, @TempDir Path tmp) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("out/checkpoints"));
        Files.writeString(out.resolve("step-00000001"), "another run's state");
        Files.writeString(tmp.resolve("out/model.safetensors"), "another run's weights");
        Map<String, String> before = Folders.hashes(tmp.resolve("out"));
        CliTest.Run r = run(args(command, tmp.resolve("out")));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains(tmp.resolve("out") + " is not empty") && r.err().contains("checkpoints/, model.safetensors"),
                r.err());
        assertEquals(before, Folders.hashes(tmp.resolve("out")));
        assertEquals(2, Files.list(tmp.resolve("out")).count(), "no lock file left");
    }

    @ParameterizedTest
    @ValueSource(strings = {"prune", "importance", "distill", "search", "teacher", "demo", "tinyworld"})
    void aFolderAnotherProcessIsWritingIsRefusedAndTakenOverOnceThatProcessIsKilled(String command, @TempDir Path tmp)
            throws Exception {
        Path out = tmp.resolve("out");
        ChildJvm other = ChildJvm.start("hold", out);
        try {
            CliTest.Run r = run(args(command, out));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(out + " is being written by another run"), r.err());
        } finally {
            other.kill();
        }
        assertTrue(Files.exists(out.resolve(OutputFolder.LOCK_FILE)), "the killed process left its lock");
        if (command.equals("tinyworld")) {
            return; // a full TinyWorld takes a while; the takeover is the same claim as every other command's
        }
        CliTest.Run r = run(args(command, out));
        // demo's --teacher is missing on purpose: it fails fast, after taking the folder over
        assertEquals(command.equals("demo") ? 2 : 0, r.code(), r.err());
        assertTrue(!command.equals("demo") || r.err().contains("no teacher here"), r.err());
        assertFalse(Files.exists(out.resolve(OutputFolder.LOCK_FILE)), "the stale lock was taken over and released");
    }

    @Test
    void distillResumesItsOwnRunButNotAnotherFolderAndNotWithOverwrite(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        List<String> args = args("distill", out);
        CliTest.Run fresh = run(args);
        assertEquals(0, fresh.code(), fresh.err());
        Map<String, String> written = Folders.hashes(out);
        CliTest.Run resumed = run(args, "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(fresh.json().get("validation_loss"), resumed.json().get("validation_loss"));
        assertEquals(written.keySet(), Folders.hashes(out).keySet());
        assertTrue(Files.isRegularFile(out.resolve("checkpoints/step-00000002/state.json")), "its own checkpoints kept");

        CliTest.Run both = run(args, "--resume", "--overwrite");
        assertEquals(2, both.code(), both.err());
        assertTrue(both.err().contains("not both"), both.err());

        Path foreign = Files.createDirectories(tmp.resolve("foreign"));
        Files.writeString(foreign.resolve("notes.txt"), "mine");
        CliTest.Run other = run(args("distill", foreign), "--resume");
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("--resume: " + foreign + " holds no distill_config.json")
                && other.err().contains("notes.txt") && other.err().contains("pass --overwrite"), other.err());
        assertEquals(List.of("notes.txt"), Files.list(foreign).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void aRunRecordFolderIsRefusedWhenNotEmptyAndClearedWithOverwrite(@TempDir Path tmp) throws Exception {
        Path record = tmp.resolve("record");
        CliTest.Run first = run(args("prune", tmp.resolve("a")), "--record", record.toString());
        assertEquals(0, first.code(), first.err());
        Map<String, String> recorded = Folders.hashes(record);

        CliTest.Run again = run(args("prune", tmp.resolve("b")), "--record", record.toString());
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains(record + " is not empty") && again.err().contains("record.json"), again.err());
        assertEquals(recorded, Folders.hashes(record));
        assertFalse(Files.exists(tmp.resolve("b")), "refused before the command ran");

        Files.writeString(record.resolve("notes.txt"), "mine");
        CliTest.Run overwrite = run(args("prune", tmp.resolve("b")), "--record", record.toString(), "--overwrite");
        assertEquals(0, overwrite.code(), overwrite.err());
        assertEquals(recorded.keySet(), Folders.hashes(record).keySet());

        ChildJvm other = ChildJvm.start("hold", tmp.resolve("held"));
        try {
            CliTest.Run held = run(args("prune", tmp.resolve("c")), "--record", tmp.resolve("held").toString());
            assertEquals(2, held.code(), held.err());
            assertTrue(held.err().contains("being written by another run"), held.err());
        } finally {
            other.kill();
        }
    }
}
