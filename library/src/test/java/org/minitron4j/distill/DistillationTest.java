package org.minitron4j.distill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Site;
import org.minitron4j.train.Checkpointing;
import org.minitron4j.train.Objective;
import org.minitron4j.train.TrainConfig;
import org.minitron4j.train.TrainingDivergedException;
import tech.tablesaw.api.Table;

class DistillationTest {
    static final ModelConfig TEACHER = ModelConfig.llama(16, 32, 64, 2, 4, 2);
    static final ModelConfig STUDENT = ModelConfig.llama(16, 16, 32, 2, 2, 1);

    static int[] cyclic(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (i * 7) % 13 + 2;
        return t;
    }

    static DistillationConfig kdWithIntermediates(TrainConfig train) {
        return DistillationConfig.defaults(train).withIntermediate(LayerMapping.lastN(1), HiddenLoss.COSINE).withClmWeight(0.5);
    }

    @Test
    void theConfigRoundTripsThroughJsonAndRejectsBadValuesByName() {
        DistillationConfig c = kdWithIntermediates(TrainConfig.of(10, 2, 8, 1e-3)).withLogitLoss(LogitLoss.JSD)
                .withJsdBeta(0.3).withTopK(5).withTemperature(2.0, false).withIntermediateSite(Site.MLP_NORM)
                .withIntermediate(LayerMapping.parse("0:1,2:4"), HiddenLoss.MSE).withFixedAlpha(0.25);
        assertEquals(c, DistillationConfig.fromJson(c.toJson()));
        assertEquals(LossWeighting.FIXED, c.weighting());
        String json = c.toJson().replace("\"topK\"", "\"top_k_typo\"");
        assertTrue(assertThrows(InvalidInputException.class, () -> DistillationConfig.fromJson(json)).getMessage().contains("top_k_typo"));
        assertTrue(assertThrows(InvalidInputException.class, () -> c.withTemperature(0, true)).getMessage().contains("temperature"));
        assertTrue(assertThrows(InvalidInputException.class, () -> c.withJsdBeta(1.0)).getMessage().contains("jsdBeta"));
        // a weighting that computes α refuses a fixed one instead of ignoring it; withWeighting changes only the weighting
        assertEquals("alpha 0.25 applies to FIXED weighting only, and DYNAMIC weighting computes its own; use"
                + " withFixedAlpha(0.25) or leave alpha at 1", assertThrows(InvalidInputException.class,
                () -> c.withWeighting(LossWeighting.DYNAMIC)).getMessage());
        assertEquals(1.0, DistillationConfig.defaults(c.train()).withWeighting(LossWeighting.FIXED).alpha());
        assertThrows(InvalidInputException.class, () -> LayerMapping.parse("3-4"));
        assertThrows(InvalidInputException.class, () -> LogitLoss.parse("kl"));
    }

    @Test
    void layerMappingsResolveAgainstBothDepths() {
        assertEquals(List.of(new LayerPair(2, 6), new LayerPair(3, 7)), LayerMapping.parse("last-2").resolve(4, 8));
        assertEquals(List.of(new LayerPair(1, 3), new LayerPair(3, 7)), LayerMapping.uniform(2).resolve(4, 8));
        assertEquals(4, LayerMapping.parse("uniform").resolve(4, 8).size());
        assertEquals(List.of(new LayerPair(4, 8)), LayerMapping.parse("4:8").resolve(4, 8)); // final norms
        assertTrue(assertThrows(InvalidInputException.class, () -> LayerMapping.parse("5:1").resolve(4, 8)).getMessage().contains("5:1"));
        assertThrows(InvalidInputException.class, () -> LayerMapping.lastN(5).resolve(4, 8));
    }

    @Test
    void theTeacherBuildsNoGraphAndIsNeverModified() {
        TrainConfig train = TrainConfig.of(3, 2, 8, 1e-2);
        try (Model teacher = Model.random(TEACHER, Device.cpu(), 1); Model before = teacher.copy();
             Model student = Model.random(STUDENT, Device.cpu(), 2)) {
            DistillationConfig cfg = kdWithIntermediates(train);
            try (DistillationObjective objective = DistillationObjective.create(teacher, student, cfg);
                 NDManager m = NDManager.newBaseManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // even with weights that require gradients, the teacher pass records nothing
                teacher.weights().values().forEach(w -> w.setRequiresGradient(true));
                var f = objective.teacherForward(m.create(new int[][] {{1, 2, 3, 4}}));
                assertFalse(f.logits().hasGradient(), "teacher logits are outside the graph");
                assertFalse(f.activations().get(Site.BLOCK_OUTPUT, 1).hasGradient());
                teacher.weights().values().forEach(w -> w.setRequiresGradient(false));
            }
            Distillation.of(teacher, cfg).withProgress(Progress.NONE).run(student, cyclic(400), null);
            for (Map.Entry<String, NDArray> e : teacher.weights().entrySet()) {
                assertFalse(e.getValue().hasGradient(), e.getKey());
                assertArrayEquals(before.weight(e.getKey()).toFloatArray(), e.getValue().toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void dynamicAlphaEqualsTheLossRatioAndTheTotalFollowsThePaper() {
        try (Model teacher = Model.random(TEACHER, Device.cpu(), 1); Model student = Model.random(STUDENT, Device.cpu(), 2);
             NDManager m = NDManager.newBaseManager()) {
            DistillationConfig cfg = kdWithIntermediates(TrainConfig.of(1, 2, 8, 1e-3)).withIntermediate(LayerMapping.parse("1:1,2:2"), HiddenLoss.COSINE);
            try (DistillationObjective o = DistillationObjective.create(teacher, student, cfg)) {
                assertEquals(2, o.parameters().size(), "16 → 32 needs a projection");
                Objective.Terms terms = o.compute(student, m.create(new int[][] {{1, 2, 3, 4, 5}}), m.create(new int[][] {{2, 3, 4, 5, 6}}));
                Map<String, NDArray> p = terms.parts();
                double lm = p.get("lm_loss").getFloat(), logit = p.get("logit_loss").getFloat(), is = p.get("is_loss").getFloat();
                assertEquals(is, p.get("is_1_1").getFloat() + p.get("is_2_2").getFloat(), 1e-6);
                assertEquals(logit / is, p.get("alpha").getFloat(), 1e-5 * logit / is);
                assertEquals(0.5 * lm + 2 * logit, terms.total().getFloat(), 1e-5);
            }
        }
    }

    @Test
    void badInputIsRejectedWithAMessageNamingIt() {
        try (Model teacher = Model.random(TEACHER.withVocabSize(20), Device.cpu(), 1); Model student = Model.random(STUDENT, Device.cpu(), 2)) {
            DistillationConfig cfg = DistillationConfig.defaults(TrainConfig.of(1, 2, 8, 1e-3));
            assertTrue(assertThrows(InvalidInputException.class, () -> DistillationObjective.create(teacher, student, cfg))
                    .getMessage().contains("vocab_size 20"));
            assertTrue(assertThrows(InvalidInputException.class, () -> DistillationObjective.create(null, student, cfg))
                    .getMessage().contains("needs a teacher"));
            assertTrue(assertThrows(InvalidInputException.class, () -> Distillation.of(null, DistillationConfig.clmOnly(cfg.train())).withProgress(Progress.NONE).run(student, new int[] {1, 2, 99, 3}, null)).getMessage().contains("99"));
            DistillationConfig diverging = DistillationConfig.clmOnly(TrainConfig.of(3, 2, 8, 1e30)
                    .withOptimizer(0, 0.9, 0.95, 1e-8, 0));
            TrainingDivergedException diverged = assertThrows(TrainingDivergedException.class,
                    () -> Distillation.of(null, diverging).withProgress(Progress.NONE).run(student, cyclic(200), null));
            assertTrue(diverged.step() >= 0 && diverged.step() < 3, "step " + diverged.step());
            assertEquals(diverged.reason() == TrainingDivergedException.Reason.LOSS_NOT_FINITE,
                    !Double.isFinite(diverged.loss()), diverged.getMessage());
        }
    }

    @Test
    void aRunKilledMidwayAndResumedEndsBitIdenticalToAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        int[] data = cyclic(1000);
        TrainConfig train = TrainConfig.of(6, 2, 12, 3e-3).withLogging(1, 3, 200).withGradAccumulation(2);
        DistillationConfig cfg = kdWithIntermediates(train);
        float[][] reference;
        double referenceLoss;
        Table referenceLog;
        try (Model teacher = Model.random(TEACHER, Device.cpu(), 1)) {
            try (Model student = Model.random(STUDENT, Device.cpu(), 2)) {
                Distillation.Result r = Distillation.of(teacher, cfg).withProgress(Progress.NONE).run(student, data, data);
                reference = weights(student);
                referenceLoss = r.validationLoss();
                referenceLog = r.log().table();
            }
            Path ckpt = tmp.resolve("ckpt");
            Checkpointing every2 = Checkpointing.to(ckpt).withEvery(2);
            try (Model student = Model.random(STUDENT, Device.cpu(), 2)) {
                Progress killAt5 = (task, done, total, detail) -> {
                    if (done == 5) throw new IllegalStateException("killed");
                };
                assertThrows(IllegalStateException.class, () -> Distillation.of(teacher, cfg).withCheckpointing(every2).withProgress(killAt5).run(student, data, data));
            }
            assertTrue(Files.isRegularFile(ckpt.resolve("step-00000004/state.json")));
            // a save that died mid-write: a half-written temporary folder with a later step must be ignored
            Path stray = Files.createDirectories(ckpt.resolve("step-00000006.tmp"));
            Files.writeString(stray.resolve("state.json"), "{\"step\": 6, \"optimizer_st");
            Files.write(stray.resolve("model.safetensors"), new byte[] {1, 2, 3});
            try (Model student = Model.random(STUDENT, Device.cpu(), 2)) {
                Distillation.Result r = Distillation.of(teacher, cfg).withCheckpointing(every2.withResume(true)).withProgress(Progress.NONE).run(student, data, data);
                float[][] resumed = weights(student);
                for (int i = 0; i < reference.length; i++) {
                    assertArrayEquals(reference[i], resumed[i], "tensor " + i);
                }
                assertEquals(referenceLoss, r.validationLoss(), 1e-6);
                assertEquals(referenceLoss, r.validationLoss(), 0.0, "in fact exactly");
                Table log = r.log().table();
                assertEquals(referenceLog.rowCount(), log.rowCount());
                for (String col : List.of("loss", "lm_loss", "logit_loss", "is_loss", "alpha", "grad_norm", "lr")) {
                    assertArrayEquals(referenceLog.doubleColumn(col).asDoubleArray(), log.doubleColumn(col).asDoubleArray(), col);
                }
            }
            assertFalse(Files.exists(stray), "stray temporary removed after the next complete save");
            assertTrue(Files.isRegularFile(ckpt.resolve("step-00000006/state.json")));
            assertFalse(Files.exists(ckpt.resolve("step-00000004")), "previous checkpoint removed once the new one is complete");
        }
    }

    static float[][] weights(Model m) {
        return m.weights().values().stream().map(NDArray::toFloatArray).toArray(float[][]::new);
    }
}
