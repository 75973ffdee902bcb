package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.distill.LogitLoss;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/** {@code distill} end to end on the fixture teacher and a smaller random student. */
class DistillCommandTest {
    static final Path TEACHER = CliTest.FIXTURES.resolve("llama");

    static Path student(Path tmp, int vocab) {
        Path dir = tmp.resolve("student-" + vocab);
        if (Files.isDirectory(dir)) {
            return dir;
        }
        try (Model m = Model.random(ModelConfig.llama(vocab, 32, 64, 1, 2, 1), Device.cpu(), 3)) {
            Checkpoints.save(m, dir);
        }
        return dir;
    }

    @Test
    void distillWritesTheStudentConfigLogAndCheckpointAndResumes(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        String[] args = {"distill", "--teacher", TEACHER.toString(), "--student", student(tmp, 128).toString(),
            "--data", TEACHER.resolve("tokens.bin").toString(), "--validation", TEACHER.resolve("tokens.bin").toString(),
            "--tokens", "150", "--batch-size", "2", "--seq-len", "16", "--logit-loss", "jsd", "--intermediate", "1:2",
            "--clm-weight", "0.5", "--lr", "1e-3", "--checkpoint-every", "2", "--out", out.toString(), "--json"};
        CliTest.Run r = CliTest.run(args);
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals(5, j.get("steps").asInt()); // ceil(150 / 32)
        assertEquals(160, j.get("tokens").asLong());
        assertTrue(j.get("validation_loss").asDouble() > 0);
        assertEquals(out.toString(), j.get("out").asText());
        DistillationConfig cfg = DistillationConfig.load(out.resolve("distill_config.json"));
        assertEquals(LogitLoss.JSD, cfg.logitLoss());
        assertEquals(0.5, cfg.clmWeight());
        assertTrue(Files.readString(out.resolve("training_log.csv")).lines().findFirst().orElseThrow().contains("is_1_2"));
        assertTrue(Files.isRegularFile(out.resolve("checkpoints/step-00000005/state.json")));
        try (Model m = Checkpoints.load(out, Device.cpu())) {
            assertEquals(32, m.config().hiddenSize());
        }
        // resuming a finished run changes nothing and reports the same loss
        String[] again = java.util.Arrays.copyOf(args, args.length + 1);
        again[args.length] = "--resume";
        CliTest.Run r2 = CliTest.run(again);
        assertEquals(0, r2.code(), r2.err());
        assertEquals(j.get("validation_loss").asDouble(), r2.json().get("validation_loss").asDouble(), 1e-9);
    }

    @Test
    void withoutATeacherItIsTheClmBaselineAndBadInputExitsWith2(@TempDir Path tmp) throws Exception {
        Path data = TEACHER.resolve("tokens.bin");
        CliTest.Run clm = CliTest.run("distill", "--student", student(tmp, 128).toString(), "--data", data.toString(),
                "--tokens", "64", "--batch-size", "2", "--seq-len", "16", "--random-init", "--out", tmp.resolve("clm").toString(), "--json");
        assertEquals(0, clm.code(), clm.err());
        assertEquals(LogitLoss.NONE, DistillationConfig.load(tmp.resolve("clm/distill_config.json")).logitLoss());

        CliTest.Run vocab = CliTest.run("distill", "--teacher", TEACHER.toString(), "--student", student(tmp, 64).toString(),
                "--data", data.toString(), "--tokens", "64", "--out", tmp.resolve("v").toString());
        assertEquals(2, vocab.code());
        assertTrue(vocab.err().contains("vocabulary mismatch") && vocab.err().contains("128"), vocab.err());

        CliTest.Run missing = CliTest.run("distill", "--student", tmp.resolve("nope").toString(), "--data", data.toString(),
                "--tokens", "64", "--out", tmp.resolve("m").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope"), missing.err());

        CliTest.Run badLoss = CliTest.run("distill", "--teacher", TEACHER.toString(), "--student", student(tmp, 128).toString(),
                "--data", data.toString(), "--tokens", "64", "--logit-loss", "kl", "--out", tmp.resolve("b").toString());
        assertEquals(2, badLoss.code());
        assertTrue(badLoss.err().contains("'kl'"), badLoss.err());

        // --warmup-steps: taken into the schedule (default 10% of the steps), refused beyond the run's steps
        CliTest.Run warm = CliTest.run("distill", "--student", student(tmp, 128).toString(), "--data", data.toString(),
                "--tokens", "128", "--batch-size", "2", "--seq-len", "16", "--warmup-steps", "3", "--out", tmp.resolve("w").toString());
        assertEquals(0, warm.code(), warm.err());
        assertEquals(3, DistillationConfig.load(tmp.resolve("w/distill_config.json")).train().warmupSteps());
        CliTest.Run tooLong = CliTest.run("distill", "--student", student(tmp, 128).toString(), "--data", data.toString(),
                "--tokens", "128", "--batch-size", "2", "--seq-len", "16", "--warmup-steps", "5", "--out", tmp.resolve("w5").toString());
        assertEquals(2, tooLong.code());
        assertTrue(tooLong.err().contains("--warmup-steps must be between 0 and the run's 4 steps, got 5"), tooLong.err());
    }
}
