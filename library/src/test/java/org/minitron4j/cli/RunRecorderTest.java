package org.minitron4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.experiment.Fingerprint;
import org.minitron4j.experiment.ReplayReport;
import org.minitron4j.experiment.RunRecord;
import org.minitron4j.experiment.Runs;

/** {@code --record DIR} and {@code replay DIR}: records hold config, fingerprints and results; replays are bit-identical. */
class RunRecorderTest {
    static final Path TEACHER = DistillCommandTest.TEACHER;

    /** CLM retraining (no teacher) of a small random student. */
    private static String[] retrain(Path tmp, Path out) {
        return new String[] {"distill",
            "--student", DistillCommandTest.student(tmp, 128).toString(), "--data", TEACHER.resolve("tokens.bin").toString(),
            "--validation", TEACHER.resolve("tokens.bin").toString(), "--tokens", "128", "--batch-size", "2",
            "--seq-len", "16", "--lr", "1e-3", "--seed", "7", "--out", out.toString()};
    }

    @Test
    void aRecordedDistillationReplaysBitForBit(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        String[] args = retrain(tmp, tmp.resolve("out"));
        // Runs.record/replay start a fresh JVM each, as the command line does
        RunRecord rec = Runs.record(run, args);
        assertEquals("distill", rec.command());
        assertEquals(List.of(args), rec.args());
        assertEquals("7", rec.config().get("--seed"));
        assertEquals("kld", rec.config().get("--logit-loss")); // defaults are part of the config
        List<String> log = Files.readAllLines(tmp.resolve("out/training_log.csv"));
        int valColumn = List.of(log.get(0).split(",")).indexOf("val_loss");
        assertEquals(Double.parseDouble(log.get(log.size() - 1).split(",")[valColumn]),
                rec.results().get("validation_loss").asDouble()); // the last logged validation loss
        // inputs: student folder, data, validation data, each hashed independently here
        assertEquals(List.of("--student", "--data", "--validation"), rec.inputs().stream().map(Fingerprint::role).toList());
        assertEquals(sha256(TEACHER.resolve("tokens.bin")), rec.inputs().get(1).sha256());
        String weights = sha256(tmp.resolve("out/model.safetensors"));
        assertTrue(rec.outputs().stream().anyMatch(f -> f.role().equals("--out:model.safetensors")
                && f.sha256().equals(weights)));
        assertTrue(Files.isRegularFile(run.resolve("tables/training_log.csv")));
        assertFalse(rec.environment().engine().isBlank());

        // the replay writes elsewhere and reproduces every number and the weights exactly
        Path keep = tmp.resolve("replayed");
        ReplayReport same = Runs.replay(run, keep, 0);
        assertTrue(same.identical(), same.summary());
        assertTrue(same.checks().stream().anyMatch(c -> c.kind().equals("result") && c.name().equals("validation_loss")));
        assertTrue(Files.isRegularFile(keep.resolve("out/model.safetensors")));
        assertEquals(sha256(tmp.resolve("out/model.safetensors")), sha256(keep.resolve("out/model.safetensors")));

        // a recorded number that differs in the last bit is reported, and the CLI exits with 3
        ObjectMapper m = new ObjectMapper();
        ObjectNode json = (ObjectNode) m.readTree(run.resolve(RunRecord.FILE).toFile());
        double loss = json.get("results").get("validation_loss").asDouble();
        ((ObjectNode) json.get("results")).put("validation_loss", Math.nextUp(loss));
        m.writeValue(run.resolve(RunRecord.FILE).toFile(), json);
        CliTest.Run differs = CliTest.run("replay", run.toString(), "--json");
        assertEquals(Main.EXIT_REPLAY_DIFFERS, differs.code(), differs.err());
        JsonNode d = differs.json();
        assertFalse(d.get("matches").asBoolean());
        assertTrue(d.get("summary").asText().contains("validation_loss"), d.get("summary").asText());
    }

    @Test
    void distillationFromATeacherReplaysBitForBitAndATolerancePassesNearNumbers(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("kd");
        String[] args = {"distill", "--teacher", TEACHER.toString(), "--student", DistillCommandTest.student(tmp, 128).toString(),
            "--data", TEACHER.resolve("tokens.bin").toString(), "--validation", TEACHER.resolve("tokens.bin").toString(),
            "--tokens", "128", "--batch-size", "2", "--seq-len", "16", "--intermediate", "1:2", "--lr", "1e-3",
            "--seed", "7", "--out", tmp.resolve("out").toString()};
        RunRecord rec = Runs.record(run, args);
        assertEquals(List.of("--teacher", "--student", "--data", "--validation"),
                rec.inputs().stream().map(Fingerprint::role).toList());
        // Before model.Scalars, 2-4 of 14 such runs read a freed scalar in the backward pass and ended elsewhere.
        ReplayReport r = Runs.replay(run);
        assertTrue(r.identical(), r.summary());

        // a tolerance accepts a nearby number (and reports how near) but not a far one
        ObjectMapper m = new ObjectMapper();
        ObjectNode json = (ObjectNode) m.readTree(run.resolve(RunRecord.FILE).toFile());
        double loss = json.get("results").get("validation_loss").asDouble();
        ((ObjectNode) json.get("results")).put("validation_loss", loss * (1 + 1e-6));
        m.writeValue(run.resolve(RunRecord.FILE).toFile(), json);
        ReplayReport near = Runs.replay(run, null, 1e-5);
        assertTrue(near.matches() && !near.identical(), near.summary());
        assertEquals(1e-6, near.maxRelativeDifference(), 1e-9);
        assertTrue(near.summary().startsWith("within tolerance"), near.summary());
        ReplayReport far = Runs.replay(run, null, 1e-7);
        assertFalse(far.matches(), far.summary());
    }

    @Test
    void aChangedInputIsReportedAndBadUsesExitWith2(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("tokens.bin");
        Files.copy(TEACHER.resolve("tokens.bin"), data);
        Path run = tmp.resolve("run");
        CliTest.Run r = CliTest.run("eval", "--model", TEACHER.toString(), "--task", "lm-loss", "--data", data.toString(),
                "--seq-len", "16", "--record", run.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(RunRecord.load(run).comparableResults().containsKey("loss"));

        byte[] bytes = Files.readAllBytes(data);
        bytes[0] ^= 1; // a different first token
        Files.write(data, bytes);
        ReplayReport changed = Runs.replay(run);
        assertFalse(changed.matches());
        assertTrue(changed.mismatches().stream().anyMatch(c -> c.kind().equals("input") && c.name().startsWith("--data")),
                changed.summary());

        // the same folder twice would overwrite a record
        CliTest.Run twice = CliTest.run("eval", "--model", TEACHER.toString(), "--task", "lm-loss", "--data", data.toString(),
                "--record", run.toString());
        assertEquals(2, twice.code());
        assertTrue(twice.err().contains(run + " is not empty") && twice.err().contains("record.json"), twice.err());
        // a command without --json results
        CliTest.Run noJson = CliTest.run("tinyworld", "--out", tmp.resolve("tw").toString(), "--record", tmp.resolve("r2").toString());
        assertEquals(2, noJson.code());
        assertTrue(noJson.err().contains("cannot be recorded"), noJson.err());
        // a negative tolerance
        CliTest.Run negative = CliTest.run("replay", run.toString(), "--tolerance", "-1");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--tolerance must be >= 0"), negative.err());
        // not a run folder; a missing input
        CliTest.Run notRun = CliTest.run("replay", tmp.toString());
        assertEquals(2, notRun.code());
        assertTrue(notRun.err().contains("record.json"), notRun.err());
        Files.delete(data);
        CliTest.Run missing = CliTest.run("replay", run.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains(data.toString()), missing.err());
        // a failing command records nothing and keeps its exit code
        CliTest.Run failing = CliTest.run("eval", "--model", tmp.resolve("nope").toString(), "--task", "lm-loss",
                "--data", TEACHER.resolve("tokens.bin").toString(), "--record", tmp.resolve("r3").toString());
        assertEquals(2, failing.code());
        assertFalse(Files.exists(tmp.resolve("r3/record.json")));
    }

    private static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
