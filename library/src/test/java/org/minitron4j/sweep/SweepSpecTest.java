package org.minitron4j.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;

/** The sweep spec: validation with JSON paths, arm expansion, step identity and command lines; nothing runs here. */
class SweepSpecTest {
    static final Path TEACHER = Path.of("src/test/resources/fixtures/llama");
    static final String DATA = TEACHER.resolve("tokens.bin").toString();

    /** importance → prune → distill → eval on the fixture teacher, 2 logit losses × 2 seeds. */
    static Sweep fourArms() {
        return Sweep.named("kd")
                .step("importance", Map.of("model", TEACHER, "data", DATA, "samples", 4, "seq-len", 16, "batch-size", 2))
                .step("prune", Map.of("model", TEACHER, "scores", "@importance", "ffn", 64))
                .step("distill", Map.of("teacher", TEACHER, "student", "@prune", "data", DATA, "validation", DATA,
                        "tokens", 128, "batch-size", 2, "seq-len", 16, "lr", 1e-3, "eval-tokens", 64))
                .step("eval", Map.of("model", "@distill", "task", "lm-loss", "data", DATA, "seq-len", 16))
                .grid("distill.logit-loss", List.of("kld", "rkld"))
                .grid("distill.seed", List.of(1, 2));
    }

    static String json(String s) {
        return s.replace('\'', '"');
    }

    private static String refused(String spec) {
        return assertThrows(InvalidInputException.class, () -> Sweep.parse(json(spec), "spec.json")).getMessage();
    }

    @Test
    void armsAreEveryCombinationOfTheGridForEachExplicitArm() {
        Sweep s = fourArms();
        assertEquals(List.of("logit-loss=kld, seed=1", "logit-loss=kld, seed=2", "logit-loss=rkld, seed=1",
                "logit-loss=rkld, seed=2"), s.arms().stream().map(Sweep.Arm::name).toList());
        Sweep two = s.arm("lr 1e-3", Map.of()).arm("lr 5e-4", Map.of("distill.lr", 5e-4));
        assertEquals(8, two.arms().size());
        assertEquals("lr 5e-4, logit-loss=rkld, seed=2", two.arms().get(7).name());
        assertEquals("0.0005", two.arms().get(7).overrides().get("distill.lr"));
        assertEquals(List.of("distill.lr", "distill.logit-loss", "distill.seed"), two.variedKeys());
        assertEquals(List.of("base"), Sweep.named("x").step("eval", Map.of("model", TEACHER)).arms().stream()
                .map(Sweep.Arm::name).toList());
    }

    @Test
    void theJsonFormRoundTrips() {
        Sweep s = fourArms().arm("a", Map.of("distill.temperature", 2)).withThreads(1);
        Sweep again = Sweep.parse(s.toJson(), "round trip");
        assertEquals(s.toJson(), again.toJson());
        assertEquals(s.arms(), again.arms());
        // numbers keep their value in plain notation, from JSON and from Java alike
        Sweep fromJson = Sweep.parse(json("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': 'm', 'seq-len': 16,"
                + " 'batch-size': 8.0}}], 'grid': {'eval.seed': [1e1, 2]}}"), "spec");
        assertEquals(Map.of("model", "m", "seq-len", "16", "batch-size", "8"), fromJson.steps().get(0).options());
        assertEquals(Arrays.asList("10", "2"), fromJson.grid().get("eval.seed"));
    }

    @Test
    void stepsSharedByArmsHaveOneRunFolderAndReferencesResolveToTheEarlierStepsOutput(@TempDir Path tmp) {
        List<Sweep.PlannedArm> plan = fourArms().plan(tmp, 1);
        assertEquals(4, plan.size());
        for (int step = 0; step < 4; step++) {
            int s = step;
            long distinct = plan.stream().map(a -> a.tasks().get(s).key()).distinct().count();
            assertEquals(step < 2 ? 1 : 4, distinct, "distinct runs of step " + step); // importance and prune are shared
        }
        StepTask prune = plan.get(0).tasks().get(1), distill = plan.get(3).tasks().get(2), eval = plan.get(3).tasks().get(3);
        assertEquals(tmp.resolve("steps").resolve("prune-" + prune.key()).toString(), prune.runDir());
        List<String> args = distill.args();
        assertEquals(Path.of(prune.runDir(), "out").toString(), args.get(args.indexOf("--student") + 1));
        assertEquals(TEACHER.toAbsolutePath().normalize().toString(), args.get(args.indexOf("--teacher") + 1));
        assertEquals("rkld", args.get(args.indexOf("--logit-loss") + 1));
        assertEquals("2", args.get(args.indexOf("--seed") + 1));
        assertEquals(Path.of(distill.runDir(), "out").toString(), eval.args().get(eval.args().indexOf("--model") + 1));
        assertFalse(eval.args().contains("--out"), "eval writes no folder");
        assertEquals(1, distill.threads());
        // the same sweep planned into the same folder gives the same keys (how a rerun finds its records)
        assertEquals(distill.key(), fourArms().plan(tmp, 2).get(3).tasks().get(2).key());
        assertNotEquals(distill.key(), plan.get(2).tasks().get(2).key());
        // keys do not depend on where the sweep's folder is: a moved or copied folder finds its records
        assertEquals(distill.key(), fourArms().plan(tmp.resolve("elsewhere"), 1).get(3).tasks().get(2).key());
    }

    @Test
    void flagsAreGivenOrLeftOutAndNullLeavesAnOptionOut(@TempDir Path tmp) {
        Sweep s = Sweep.named("flags").step("distill", Map.of("student", TEACHER, "data", DATA, "tokens", 64))
                .grid("distill.no-temperature-squared", Arrays.asList(true, false))
                .grid("distill.seed", Arrays.asList(null, 5));
        List<Sweep.PlannedArm> plan = s.plan(tmp, 0);
        assertEquals("no-temperature-squared=true, seed=(default)", plan.get(0).arm().name());
        assertTrue(plan.get(0).tasks().get(0).args().contains("--no-temperature-squared"));
        assertFalse(plan.get(0).tasks().get(0).args().contains("--seed"));
        assertFalse(plan.get(2).tasks().get(0).args().contains("--no-temperature-squared"));
        assertTrue(plan.get(3).tasks().get(0).args().contains("5"));
        Sweep bad = Sweep.named("flags").step("distill", Map.of("student", TEACHER, "data", DATA, "tokens", 64,
                "no-temperature-squared", "yes"));
        String m = assertThrows(InvalidInputException.class, () -> bad.plan(tmp, 0)).getMessage();
        assertTrue(m.contains("'no-temperature-squared' is a flag: true or false, got 'yes'"), m);
    }

    @Test
    void specErrorsNameTheirJsonPath() {
        String steps = "'steps': [{'command': 'eval', 'options': {'model': 'm'}}]";
        assertTrue(refused("{'name': 'n', " + steps + ", 'stepz': 1}").startsWith("spec.json: $.stepz: unknown key"));
        assertTrue(refused("{" + steps + "}").contains("$.name: a non-empty string is required"));
        assertTrue(refused("{'name': 'n', 'steps': []}").contains("$.steps: a non-empty list"));
        String m = refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': 'm'}}, "
                + "{'command': 'distill', 'options': {'logit_loss': 'kld'}}]}");
        assertTrue(m.startsWith("spec.json: $.steps[1] option 'logit_loss': distill has no option --logit_loss"), m);
        assertTrue(m.contains("logit-loss"), "lists the options: " + m);
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'distil'}]}").contains("$.steps[0]: 'distil' is not a command ("));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'sweep'}]}").contains("a sweep cannot be a step of a sweep"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'replay'}]}").contains("'replay' is not a command"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': 'm'}, 'opts': {}}]}")
                .contains("$.steps[0].opts: unknown key"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': '@prune'}}]}")
                .contains("'@prune' names no earlier step"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': 'm'}},"
                + " {'command': 'distill', 'options': {'student': '@eval'}}]}").contains("step 'eval' (eval) writes no output folder"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'out': 'x'}}]}")
                .contains("--out is set by the sweep"));
        assertTrue(refused("{'name': 'n', 'steps': [{'command': 'eval', 'options': {'model': ['a', 'b']}}]}")
                .contains("$.steps[0].options.model: a string, number, boolean or null"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'grid': {'distill.seed': [1]}}")
                .contains("$.grid.distill.seed: 'distill.seed' must be step.option with a step of this sweep (eval)"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'grid': {'eval.seed': 1}}").contains("$.grid.eval.seed: a list of values"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'grid': {'eval.seed': []}}").contains("$.grid.eval.seed: no values"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'grid': {'eval.seed': [1, 1]}}").contains("value '1' appears twice"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'arms': [{'name': 'a', 'set': {'eval.sed': 1}}]}")
                .contains("$.arms[0] key 'eval.sed': eval has no option --sed"));
        assertTrue(refused("{'name': 'n', " + steps + ", 'threads': -1}").contains("$.threads:"));
        assertTrue(refused("{'name': 'n', 'name': 'm', " + steps + "}").contains("not JSON (Duplicate field 'name'"));
        assertTrue(refused("{'name': 'n', " + steps).contains("not JSON"));
    }

    @Test
    void aCommandLineThatDoesNotParseIsRefusedBeforeTheFolderIsTouched(@TempDir Path tmp) {
        Sweep s = Sweep.named("bad").step("eval", Map.of("model", TEACHER, "task", "lm-loss", "data", DATA)).grid("eval.seq-len", List.of(16, "sixteen"));
        Path out = tmp.resolve("out");
        String m = assertThrows(InvalidInputException.class, () -> s.run(out)).getMessage();
        assertTrue(m.startsWith("arm 'seq-len=sixteen', step 'eval': "), m);
        assertTrue(m.contains("sixteen"), m);
        assertFalse(Files.exists(out));
    }
}
