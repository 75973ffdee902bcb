package org.minitron4j.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.experiment.Leaderboard;
import org.minitron4j.experiment.ReplayReport;
import org.minitron4j.experiment.RunRecord;
import org.minitron4j.experiment.Runs;

/**
 * Sweeps run: the same 4-arm sweep gives identical tables sequentially, on local workers and as Spark {@code local[2]}
 * tasks (one PyTorch thread per step everywhere); every arm is made of run records that replay; a failing arm is
 * reported in its row; a sweep run again reuses what is recorded.
 */
class SweepRunTest {
    /** Every row's name, status, option texts and metrics, without what differs between equal runs (times, places). */
    static List<String> comparable(SweepResult r) {
        List<String> out = new ArrayList<>();
        for (Leaderboard.Row row : r.leaderboard().rows()) {
            StringBuilder b = new StringBuilder(row.name() + " | " + row.role() + " | " + row.parameters());
            row.values().forEach((k, v) -> {
                if (!RunRecord.isVolatile(k)) {
                    b.append(" | ").append(k).append('=').append(Double.doubleToRawLongBits(v));
                }
            });
            for (String k : List.of("distill.logit-loss", "distill.seed", SweepResult.ERROR, "distill.run", "eval.run")) {
                b.append(" | ").append(k).append('=').append(row.text(k));
            }
            out.add(b.toString());
        }
        return out;
    }

    @Test
    void theSameSweepGivesTheSameTableOnEveryExecutorAndEachStepReplays(@TempDir Path tmp) {
        Sweep sweep = SweepSpecTest.fourArms().withThreads(1);
        SweepResult sequential = sweep.run(tmp.resolve("sequential"));
        assertEquals(4, sequential.arms());
        assertEquals(0, sequential.failedArms(), sequential.toString());
        assertEquals(10, sequential.stepsRun(), "1 importance + 1 prune + 4 distill + 4 eval");
        Leaderboard.Row first = sequential.leaderboard().rows().get(0);
        assertNotNull(first.value("eval.loss"));
        assertNotNull(first.value("distill.validation_loss"));
        assertNotNull(first.parameters());
        assertTrue(first.value("seconds") > 0);
        assertTrue(first.text(SweepResult.RAN_ON).contains("sequential"), first.text(SweepResult.RAN_ON));
        // arms differ where they should: other losses and seeds give other students
        assertEquals(4, sequential.leaderboard().rows().stream().map(r -> r.value("eval.loss")).distinct().count());

        SweepResult local;
        try (SweepExecutor ex = SweepExecutor.local(2)) {
            local = sweep.run(tmp.resolve("local"), ex);
        }
        SweepResult spark;
        try (SweepExecutor ex = SweepExecutor.spark("local[2]")) {
            spark = sweep.run(tmp.resolve("spark"), ex);
        }
        assertEquals(comparable(sequential), comparable(local));
        assertEquals(comparable(sequential), comparable(spark));
        assertTrue(spark.leaderboard().rows().get(0).text(SweepResult.RAN_ON).contains("spark executor"));
        assertTrue(local.leaderboard().rows().get(0).text(SweepResult.RAN_ON).contains("worker-"));
        for (Path out : List.of(tmp.resolve("sequential"), tmp.resolve("spark"))) {
            assertTrue(Files.isRegularFile(out.resolve("results.csv")));
            assertTrue(Files.isRegularFile(out.resolve("results.html")));
            assertTrue(Files.isRegularFile(out.resolve(Sweep.FILE)));
        }

        // a step of a Spark-run arm replays alone, bit for bit, in a fresh JVM with its recorded thread count
        Path distill = Path.of(tmp.resolve("spark").toString(), spark.leaderboard().rows().get(3).text("distill.run"));
        assertEquals("1", RunRecord.load(distill).environment().threads());
        ReplayReport replay = Runs.replay(distill);
        assertTrue(replay.identical(), replay.summary());
    }

    @Test
    void aFailingArmIsReportedInItsRowAndTheOthersFinish(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-tokens.bin");
        Sweep sweep = Sweep.named("one bad").step("distill", Map.of("student", SweepSpecTest.TEACHER, "data", SweepSpecTest.DATA,
                        "tokens", 64, "batch-size", 2, "seq-len", 16))
                .step("eval", Map.of("model", "@distill", "task", "lm-loss", "data", SweepSpecTest.DATA, "seq-len", 16))
                .grid("distill.validation", List.of(SweepSpecTest.DATA, missing.toString())).withThreads(1);
        SweepResult r = sweep.run(tmp.resolve("out"));
        assertEquals(2, r.arms());
        assertEquals(1, r.failedArms());
        assertEquals(1, r.stepsFailed());
        Leaderboard.Row ok = r.leaderboard().rows().get(0), bad = r.leaderboard().rows().get(1);
        assertEquals("ok", ok.role());
        assertNotNull(ok.value("eval.loss"));
        assertEquals("failed", bad.role());
        assertTrue(bad.text(SweepResult.ERROR).startsWith("distill: distill failed (exit code 2): "), bad.text(SweepResult.ERROR));
        assertTrue(bad.text(SweepResult.ERROR).contains(missing.toString()), bad.text(SweepResult.ERROR));
        assertEquals(null, bad.value("eval.loss"));
        // what an arm wrote: the distilled student and its training log (read back from its CSV)
        String okArm = ok.name(), badArm = bad.name();
        assertTrue(Files.isRegularFile(r.output(okArm, "distill").resolve("model.safetensors")));
        assertEquals(ok.value("distill.validation_loss"), r.trainingLog(okArm, "distill").last("val_loss"));
        assertEquals(2, r.trainingLog(okArm, "distill").size(), "64 tokens / (2 × 16 per step) = 2 steps, each logged");
        org.junit.jupiter.api.Assertions.assertThrows(org.minitron4j.InvalidInputException.class, () -> r.output(badArm, "distill"));
        org.junit.jupiter.api.Assertions.assertThrows(org.minitron4j.InvalidInputException.class, () -> r.run("nope", "distill"));
        // run again: the good arm is reused, the failing step is tried again (and fails again)
        SweepResult again = sweep.run(tmp.resolve("out"));
        assertEquals(2, again.stepsReused());
        assertEquals(1, again.stepsFailed());
        assertEquals(0, again.stepsRun());
        assertEquals(comparable(r), comparable(again));
    }

    @Test
    void aSweepRunAgainAfterItsDriverWasKilledRunsOnlyTheMissingSteps(@TempDir Path tmp) throws Exception {
        Sweep sweep = SweepSpecTest.fourArms().withThreads(1);
        Path out = tmp.resolve("out");
        Path spec = tmp.resolve("spec.json");
        Files.writeString(spec, sweep.toJson());
        // the command line in another JVM, killed (as kill -9) once the third step's record is written
        try (SweepChildJvm child = SweepChildJvm.start(spec, out)) {
            child.awaitRecords(out, 3);
        }
        int before = records(out);
        assertTrue(before >= 3 && before < 10, before + " records before the kill");
        SweepResult resumed = sweep.run(out);
        assertEquals(before, resumed.stepsReused());
        assertEquals(10 - before, resumed.stepsRun());
        assertEquals(0, resumed.failedArms(), resumed.toString());
        SweepResult fresh = sweep.run(tmp.resolve("fresh"));
        assertEquals(comparable(fresh), comparable(resumed));
    }

    static int records(Path out) throws Exception {
        Path steps = out.resolve(Sweep.STEPS);
        if (!Files.isDirectory(steps)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(steps)) {
            return (int) s.filter(d -> Files.isRegularFile(d.resolve(RunRecord.FILE))).count();
        }
    }

}
