package org.minitron4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minitron4j.Progress;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import tech.tablesaw.api.Table;

class TrainerTest {
    static final ModelConfig TINY = ModelConfig.llama(16, 32, 64, 2, 4, 2);

    /** A stream whose next token is fully determined by the previous one: the loss can go to ~0. */
    static int[] cyclic(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (i * 7) % 13 + 2;
        return t;
    }

    @Test
    void languageModelingLearnsADeterministicSequenceAndLogsEveryStep() {
        int[] data = cyclic(4000);
        try (Model model = Model.random(TINY, Device.cpu(), 1)) {
            double before = LmLoss.evaluate(model, data, 32, 8).loss();
            TrainConfig cfg = TrainConfig.of(100, 8, 32, 3e-3).withLogging(1, 50, 1000);
            int arrays = ((BaseNDManager) model.manager()).getManagedArrays().size();
            TrainingLog log = Trainer.train(model, Objective.languageModeling(), data, data, cfg, Progress.NONE);
            double after = LmLoss.evaluate(model, data, 32, 8).loss();
            assertTrue(before > 2.5, "random init is near log(16): " + before);
            assertTrue(after < 0.3, "learned the cycle: " + after);
            Table t = log.table();
            assertEquals(100, t.rowCount());
            assertEquals(after, log.last("val_loss"), 1e-3);
            assertTrue(t.columnNames().containsAll(java.util.List.of("step", "loss", "lm_loss", "lr", "grad_norm", "tokens_per_s")));
            assertEquals(arrays, ((BaseNDManager) model.manager()).getManagedArrays().size(), "no arrays leak into the model");
        }
    }

    @Test
    void trainingIsBitReproducibleForASeed() {
        int[] data = cyclic(2000);
        float[][] results = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Model model = Model.random(TINY, Device.cpu(), 5)) {
                Trainer.train(model, Objective.languageModeling(), data, null, TrainConfig.of(5, 4, 16, 1e-3).withSeed(9), Progress.NONE);
                results[run] = model.weight("model.layers.1.mlp.down_proj.weight").toFloatArray();
            }
        }
        assertArrayEquals(results[0], results[1]);
    }

    @Test
    void trainsInAThreadOtherThanTheOneThatStartedTheEngine() throws Exception {
        // A notebook kernel runs every cell in a new thread, where libtorch's (thread-local) grad mode starts on.
        int[] data = cyclic(2000);
        try (Model model = Model.random(TINY, Device.cpu(), 5)) {
            Throwable[] failure = new Throwable[1];
            boolean[] gradModeAfter = new boolean[1];
            Thread t = new Thread(() -> {
                try {
                    ai.djl.pytorch.jni.JniUtils.setGradMode(true);
                    Trainer.train(model, Objective.languageModeling(), data, null, TrainConfig.of(3, 4, 16, 1e-3), Progress.NONE);
                    gradModeAfter[0] = ai.djl.pytorch.jni.JniUtils.isGradMode();
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            t.start();
            t.join();
            assertEquals(null, failure[0], "training in a fresh thread failed: " + failure[0]);
            assertTrue(gradModeAfter[0], "the thread's grad mode is restored");
        }
    }

    @Test
    void theScheduleWarmsUpLinearlyThenDecaysToTheMinimum() {
        TrainConfig c = TrainConfig.of(110, 1, 1, 1.0).withSchedule(TrainConfig.Schedule.COSINE, 10, 0.1);
        assertEquals(0.1, c.learningRateAt(0), 1e-12);
        assertEquals(1.0, c.learningRateAt(9), 1e-12);
        assertEquals(1.0, c.learningRateAt(10), 1e-12);
        assertEquals(0.55, c.learningRateAt(60), 1e-12); // halfway through the cosine
        assertEquals(0.1, c.learningRateAt(110), 1e-12);
        TrainConfig lin = c.withSchedule(TrainConfig.Schedule.LINEAR, 0, 0.0);
        assertEquals(0.5, lin.learningRateAt(55), 1e-12);
    }

    @Test
    void oneAdamWStepMatchesTheClosedForm() {
        // After one step from zero moments, AdamW moves each weight by lr·g/(|g| + eps') ≈ lr·sign(g), plus decay.
        try (Model model = Model.random(TINY, Device.cpu(), 2); Model before = model.copy()) {
            TrainConfig cfg = TrainConfig.of(1, 2, 8, 1e-2).withSchedule(TrainConfig.Schedule.CONSTANT, 0, 1e-2)
                    .withOptimizer(0.0, 0.9, 0.999, 1e-12, 0.0);
            Trainer.train(model, Objective.languageModeling(), cyclic(500), null, cfg, Progress.NONE);
            for (Map.Entry<String, ai.djl.ndarray.NDArray> e : model.weights().entrySet()) {
                float[] a = before.weight(e.getKey()).toFloatArray(), b = e.getValue().toFloatArray();
                for (int i = 0; i < a.length; i++) {
                    double delta = Math.abs(a[i] - b[i]);
                    assertTrue(delta < 1e-2 + 1e-6 && (delta > 1e-2 - 1e-4 || delta == 0), e.getKey() + "[" + i + "] moved " + delta);
                }
            }
        }
    }
}
