package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.minitron4j.Progress;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/**
 * Times one calibration pass of 1024 samples × 256 tokens on a teacher-shaped random model (target: ≤ 2 minutes on
 * 2 cores). {@code -Dminitron4j.bench.samples=128} runs fewer samples and extrapolates linearly.
 */
@Tag("slow")
class CalibrationBenchmarkTest {
    @Test
    void oneCalibrationPassOfATeacherShapedModel() {
        int samples = Integer.getInteger("minitron4j.bench.samples", 1024);
        int batchSize = Integer.getInteger("minitron4j.bench.batch", 8);
        ModelConfig teacher = ModelConfig.llama(262, 192, 512, 6, 8, 2);
        try (Model model = Model.random(teacher, Device.cpu(), 1)) {
            var windows = TestModels.windows(samples, 256, teacher.vocabSize(), 2);
            Calibration.run(model, windows.subList(0, batchSize), batchSize, Progress.NONE); // warm-up
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            ActivationStats stats = Calibration.run(model, windows, batchSize, Progress.NONE);
            double s = (System.nanoTime() - t0) / 1e9, cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            assertEquals(samples, stats.samples());
            // the same windows through a plain forward (no capture, no logits): the floor set by the model itself
            long f0 = System.nanoTime(), fc0 = os.getProcessCpuTime();
            for (int i = 0; i < samples; i += batchSize) {
                try (ai.djl.ndarray.NDManager scope = model.manager().newSubManager()) {
                    int[][] ids = windows.subList(i, Math.min(samples, i + batchSize)).toArray(new int[0][]);
                    model.forward(scope.create(ids), org.minitron4j.model.Forward.options().withoutLogits()).hidden().toFloatArray();
                }
            }
            System.out.printf(Locale.ROOT, "plain forward of the same windows: %.1f s, process CPU %.1f s%n",
                    (System.nanoTime() - f0) / 1e9, (os.getProcessCpuTime() - fc0) / 1e9);
            System.out.printf(Locale.ROOT, "calibration: %d samples x 256 tokens, batch %d: %.1f s (%.1f samples/s; 1024 samples"
                    + " ≈ %.1f s); process CPU %.1f s (1024 samples ≈ %.1f CPU-s); load average %.2f%n", samples, batchSize, s,
                    samples / s, s * 1024 / samples, cpu, cpu * 1024 / samples, os.getSystemLoadAverage());
        }
    }
}
