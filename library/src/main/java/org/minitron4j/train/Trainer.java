package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import org.minitron4j.Progress;
import org.minitron4j.data.Batches;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.model.Autograd;
import org.minitron4j.model.NoGrad;
import org.minitron4j.model.Scalars;

/**
 * The one training loop: teacher training, CLM baselines and distillation differ only in their {@link Objective}.
 * Each step samples seeded windows, accumulates gradients over micro-batches, clips the global norm, applies AdamW,
 * and runs inside its own NDManager scope so memory stays flat; the model is trained in place.
 */
public final class Trainer {
    private Trainer() {
    }

    /** Trains {@code model} in place on {@code train} tokens and returns the log; {@code validation} may be null. */
    public static TrainingLog train(Model model, Objective objective, int[] train, int @Nullable [] validation,
                                    TrainConfig cfg, Progress progress) {
        return train(model, objective, train, validation, cfg, Checkpointing.none(), progress);
    }

    /**
     * Trains {@code model} (and the objective's own {@link Objective#parameters()}) in place, saving checkpoints as
     * {@code checkpointing} says and, if it asks to resume, first restoring the newest complete checkpoint. A resumed
     * run ends bit-identical to an uninterrupted one on CPU: batches depend only on (seed, step), and the weights,
     * moments and step count are restored exactly. The returned log includes the rows of the steps before the resume.
     *
     * @param validation held-out tokens for {@code val_loss}, or null
     * @throws TrainingDivergedException if the loss or gradient becomes NaN or infinite
     * @throws InvalidInputException      if the data is shorter than one window, or a checkpoint to resume from belongs
     *                                    to another config
     * @throws OutputFolder.Refused  if the checkpoint folder holds files and {@code checkpointing} does not resume (to
     *                               start over, claim it with {@link OutputFolder.Mode#OVERWRITE} around this call),
     *                               or another run is writing it
     */
    public static TrainingLog train(Model model, Objective objective, int[] train, int @Nullable [] validation,
                                    TrainConfig cfg, Checkpointing checkpointing, Progress progress) {
        if (train.length < cfg.seqLen() + 2) {
            throw new InvalidInputException("training data has " + train.length + " tokens, fewer than one window of "
                    + (cfg.seqLen() + 1));
        }
        Map<String, NDArray> params = new LinkedHashMap<>(model.weights());
        for (Map.Entry<String, NDArray> e : objective.parameters().entrySet()) {
            if (params.put(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("objective parameter '" + e.getKey() + "' clashes with a model weight");
            }
        }
        TrainingLog log = new TrainingLog();
        long tokensPerStep = cfg.tokensPerStep();
        // Grad mode off (Autograd turns it on per micro-batch): AdamW updates leaf weights in place. The
        // checkpoint folder is this run's: refused if it holds another run's checkpoints and this one does not resume.
        try (NoGrad noGrad = NoGrad.enter();
             OutputFolder claim = checkpointing.enabled() ? OutputFolder.claim(checkpointing.dir(),
                     checkpointing.resume() ? OutputFolder.Mode.RESUME : OutputFolder.Mode.FRESH) : null;
             AdamW adam = new AdamW(model.manager(), params, cfg.beta1(), cfg.beta2(), cfg.epsilon(), cfg.weightDecay())) {
            int start = 0;
            if (checkpointing.resume()) {
                var restored = TrainingCheckpoint.restoreLatest(checkpointing.dir(), cfg, params, adam, log);
                if (restored.isPresent()) {
                    start = restored.get().step();
                    progress.update("train", start, cfg.steps(), "resumed from " + restored.get().folder());
                }
            }
            for (NDArray w : params.values()) {
                w.setRequiresGradient(true);
            }
            long windowStart = System.nanoTime();
            int windowSteps = 0;
            int skippedInARow = 0;
            for (int step = start; step < cfg.steps(); step++) {
                double lr = cfg.learningRateAt(step);
                Map<String, Double> row = new LinkedHashMap<>();
                try (NDManager scope = model.manager().newSubManager()) {
                    Map<String, Double> parts = new LinkedHashMap<>();
                    for (int micro = 0; micro < cfg.gradAccumulation(); micro++) {
                        long batchSeed = cfg.seed() * 1_000_003L + (long) step * cfg.gradAccumulation() + micro;
                        List<int[]> windows = Batches.sample(train, cfg.seqLen(), cfg.batchSize(), batchSeed);
                        accumulate(model, objective, windows, cfg.gradAccumulation(), scope, parts);
                    }
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    for (Map.Entry<String, NDArray> e : params.entrySet()) {
                        NDArray g = e.getValue().getGradient();
                        g.attach(scope);
                        grads.put(e.getKey(), g);
                    }
                    double norm = globalNorm(new ArrayList<>(grads.values()));
                    double loss = parts.getOrDefault("loss", 0.0);
                    if (!Double.isFinite(loss)) {
                        throw new TrainingDivergedException(TrainingDivergedException.Reason.LOSS_NOT_FINITE, step, loss,
                                String.format(Locale.ROOT, "training diverged at step %d: loss is %s (lower the learning"
                                        + " rate %.3g?)", step, loss, lr));
                    }
                    if (!Double.isFinite(norm)) {
                        // A rare overflow in one batch's gradients: skip this update rather than lose the run.
                        skippedInARow++;
                        if (skippedInARow > MAX_SKIPPED_IN_A_ROW) {
                            throw new TrainingDivergedException(TrainingDivergedException.Reason.GRADIENT_NOT_FINITE,
                                    step, loss, String.format(Locale.ROOT, "training diverged at step %d: gradient of %s is"
                                            + " not finite for %d steps in a row (lower the learning rate %.3g?)", step,
                                    firstNonFinite(grads), skippedInARow, lr));
                        }
                        row.put("skipped", 1.0);
                    } else {
                        skippedInARow = 0;
                        double scale = cfg.gradClip() > 0 && norm > cfg.gradClip() ? cfg.gradClip() / (norm + 1e-6) : 1;
                        adam.step(params, grads, scale, lr, scope);
                    }
                    for (NDArray w : params.values()) {
                        JniUtils.zeroGrad((PtNDArray) w);
                    }
                    row.putAll(parts);
                    row.put("lr", lr);
                    row.put("grad_norm", norm);
                }
                windowSteps++;
                boolean last = step == cfg.steps() - 1;
                boolean evaluate = validation != null && cfg.evalTokens() > 0
                        && ((cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0) || last);
                if ((step + 1) % cfg.logEvery() == 0 || last || evaluate) {
                    double seconds = (System.nanoTime() - windowStart) / 1e9;
                    row.put("tokens_per_s", windowSteps * tokensPerStep / seconds);
                    row.put("tokens", (double) (step + 1) * tokensPerStep);
                    if (evaluate) {
                        row.put("val_loss", validationLoss(model, validation, cfg));
                    }
                    log.add(step + 1, row);
                    progress.update("train", step + 1, cfg.steps(), String.format(Locale.ROOT, "loss %.4f lr %.2e%s",
                            row.get("loss"), lr, evaluate ? String.format(Locale.ROOT, " val %.4f", row.get("val_loss")) : ""));
                    windowStart = System.nanoTime();
                    windowSteps = 0;
                }
                if (checkpointing.savesAfter(step + 1, cfg.steps())) {
                    TrainingCheckpoint.write(checkpointing.dir(), step + 1, cfg, params, adam, log);
                }
            }
            if (skippedInARow > 0) {
                // A run may skip a rare overflowing batch, but must not end in the middle of a divergence.
                // The last step is always logged, with its (finite) loss.
                throw new TrainingDivergedException(TrainingDivergedException.Reason.ENDED_ON_SKIPPED_UPDATES,
                        cfg.steps() - 1, log.last("loss"), String.format(Locale.ROOT, "training diverged: the last %d"
                                + " step(s) had a non-finite gradient (lower the learning rate %.3g?)", skippedInARow,
                        cfg.learningRate()));
            }
        } finally {
            for (NDArray w : params.values()) {
                w.setRequiresGradient(false);
            }
        }
        return log;
    }

    /** Forward and backward of one micro-batch; adds its (accumulation-averaged) loss parts to {@code parts}. */
    private static void accumulate(Model model, Objective objective, List<int[]> windows, int accumulation, NDManager scope,
                                   Map<String, Double> parts) {
        int b = windows.size(), t = windows.get(0).length - 1;
        int[][] in = new int[b][t];
        int[][] target = new int[b][t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(windows.get(i), 0, in[i], 0, t);
            System.arraycopy(windows.get(i), 1, target[i], 0, t);
        }
        try (NDManager micro = scope.newSubManager(); Autograd grad = Autograd.enter()) {
            Objective.Terms terms = objective.compute(model, micro.create(in), micro.create(target));
            grad.backward(terms.total().div(Scalars.of(terms.total(), accumulation)));
            parts.merge("loss", terms.total().getFloat() / (double) accumulation, Double::sum);
            for (Map.Entry<String, NDArray> e : terms.parts().entrySet()) {
                parts.merge(e.getKey(), e.getValue().getFloat() / (double) accumulation, Double::sum);
            }
        }
    }

    private static final int MAX_SKIPPED_IN_A_ROW = 10;

    private static String firstNonFinite(Map<String, NDArray> grads) {
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
            if (!Double.isFinite(e.getValue().square().sum().getFloat())) {
                return "'" + e.getKey() + "'";
            }
        }
        return "the model";
    }

    /**
     * √Σ‖g‖² over all gradients, each tensor's sum of squares taken after scaling by its largest magnitude (so that float32
     * squares cannot overflow); +∞ if any gradient is not finite. The per-tensor reductions are read back together.
     */
    static double globalNorm(List<NDArray> grads) {
        int n = grads.size();
        NDList maxima = new NDList(n);
        for (NDArray g : grads) {
            maxima.add(g.max().maximum(g.min().neg())); // max |g| from two reductions, without an |g| copy of the tensor
        }
        float[] max = NDArrays.stack(maxima).toFloatArray();
        NDList sums = new NDList(n);
        for (int i = 0; i < n; i++) {
            if (max[i] > 0 && Float.isFinite(max[i])) {
                sums.add(grads.get(i).div(max[i]).square().sum());
            } else if (!Float.isFinite(max[i])) {
                return Double.POSITIVE_INFINITY;
            }
        }
        float[] sum = sums.isEmpty() ? new float[0] : NDArrays.stack(sums).toFloatArray();
        double sq = 0;
        for (int i = 0, k = 0; i < n; i++) {
            if (max[i] > 0) {
                double m = max[i];
                sq += sum[k++] * m * m;
            }
        }
        return Math.sqrt(sq);
    }

    private static double validationLoss(Model model, int[] validation, TrainConfig cfg) {
        int n = Math.min(validation.length, cfg.evalTokens());
        return LmLoss.evaluate(model, java.util.Arrays.copyOf(validation, n), cfg.seqLen(), cfg.batchSize()).loss();
    }
}
