package org.minitron4j.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Capture;
import org.minitron4j.model.Forward;
import org.minitron4j.model.LogProbs;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.NoGrad;
import org.minitron4j.model.Scalars;
import org.minitron4j.model.Site;
import org.minitron4j.train.Objective;

/**
 * The distillation {@link Objective}: a frozen teacher (forward pass with autograd off, so no graph is built and its
 * weights never get gradients), the losses of a {@link DistillationConfig}, and the one learned projection of student
 * hidden states to the teacher's width, which the training loop optimises and checkpoints with the student. Without a
 * teacher (a CLM-only config) it is plain language modelling. Logged parts: {@code lm_loss} (always), {@code logit_loss},
 * {@code is_loss}, {@code is_S_T} per pair, {@code alpha}.
 */
public final class DistillationObjective implements Objective, AutoCloseable {
    /** Names of the projection in {@link #parameters()} and in checkpoints. */
    public static final String PROJECTION_WEIGHT = "distill.projection.weight", PROJECTION_BIAS = "distill.projection.bias";

    private final Model teacher;
    private final DistillationConfig config;
    private final List<LayerPair> pairs;
    private final int studentLayers, teacherLayers;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;

    private DistillationObjective(Model teacher, ModelConfig student, DistillationConfig config, ai.djl.Device device) {
        this.teacher = teacher;
        this.config = config;
        this.studentLayers = student.numLayers();
        this.teacherLayers = teacher == null ? 0 : teacher.config().numLayers();
        this.pairs = teacher == null ? List.of() : config.intermediate().resolve(studentLayers, teacherLayers);
        this.manager = NDManager.newBaseManager(device);
        Map<String, NDArray> p = new LinkedHashMap<>();
        if (!pairs.isEmpty() && student.hiddenSize() != teacher.config().hiddenSize()) {
            int ds = student.hiddenSize(), dt = teacher.config().hiddenSize();
            // W ~ N(0, 1/d_s): unit-variance outputs for LayerNorm'd inputs; seeded from the run's seed
            SplittableRandom rng = new SplittableRandom(config.train().seed() ^ 0x5DEECE66DL);
            float[] w = new float[dt * ds];
            double std = 1 / Math.sqrt(ds);
            for (int i = 0; i < w.length; i++) {
                double u1 = rng.nextDouble(), u2 = rng.nextDouble();
                w[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
            }
            p.put(PROJECTION_WEIGHT, manager.create(w, new ai.djl.ndarray.types.Shape(dt, ds))); // (d_t, d_s)
            p.put(PROJECTION_BIAS, manager.zeros(new ai.djl.ndarray.types.Shape(dt))); // (d_t)
        }
        this.parameters = Collections.unmodifiableMap(p);
    }

    /**
     * The objective for distilling {@code teacher} into a student of config {@code student}; {@code teacher} may be
     * null only for a config without logit loss or intermediate pairs (a CLM baseline).
     *
     * @throws InvalidInputException if the teacher is missing or superfluous, the vocabularies differ, the devices
     *                               differ, or a layer pair is out of range
     */
    public static DistillationObjective create(@Nullable Model teacher, Model student, DistillationConfig config) {
        if (config.needsTeacher() && teacher == null) {
            throw new InvalidInputException("the config needs a teacher (logit loss " + config.logitLoss()
                    + ", intermediate " + config.intermediate() + "); pass one, or use a CLM-only config");
        }
        if (teacher != null) {
            if (teacher == student) {
                throw new InvalidInputException("the teacher and the student must be different models");
            }
            if (teacher.config().vocabSize() != student.config().vocabSize()) {
                throw new InvalidInputException("vocabulary mismatch: the teacher has vocab_size " + teacher.config().vocabSize()
                        + ", the student " + student.config().vocabSize());
            }
            if (!teacher.device().equals(student.device())) {
                throw new InvalidInputException("the teacher is on " + teacher.device() + ", the student on " + student.device());
            }
        }
        return new DistillationObjective(teacher, student.config(), config, student.device());
    }

    public DistillationConfig config() {
        return config;
    }

    /** The resolved intermediate layer pairs (empty without a teacher). */
    public List<LayerPair> pairs() {
        return pairs;
    }

    /** The projection (weight [d_t, d_s], bias [d_t]) when intermediate pairs are used and the widths differ. */
    @Override
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    @Override
    public Terms compute(Model student, NDArray inputs, NDArray targets) {
        Map<String, NDArray> parts = new LinkedHashMap<>();
        Forward fs = student.forward(inputs, Forward.options().withCapture(capture(pairs, true)));
        NDArray lm = LogProbs.ofTargets(fs.logits(), targets).mean().neg();
        parts.put("lm_loss", lm);
        if (teacher == null) {
            return new Terms(config.clmWeight() == 1.0 ? lm : lm.mul(Scalars.of(lm, config.clmWeight())), parts);
        }
        Forward ft = teacherForward(inputs);
        NDArray logit = null;
        if (config.logitLoss() != LogitLoss.NONE) {
            logit = DistillationLosses.logitLoss(fs.logits(), ft.logits(), config);
            parts.put("logit_loss", logit);
        }
        NDArray is = null;
        if (!pairs.isEmpty()) {
            NDArray w = parameters.get(PROJECTION_WEIGHT), b = parameters.get(PROJECTION_BIAS);
            for (LayerPair p : pairs) {
                NDArray li = DistillationLosses.hiddenLoss(config.intermediateLoss(), hidden(fs, p.student(), studentLayers),
                        hidden(ft, p.teacher(), teacherLayers), w, b);
                parts.put("is_" + p.student() + "_" + p.teacher(), li);
                is = is == null ? li : is.add(li);
            }
            parts.put("is_loss", is);
        }
        NDArray total = combine(lm, logit, is, parts);
        return new Terms(total, parts);
    }

    /** The total of the parts under the config's weighting; records α in {@code parts}. */
    private NDArray combine(NDArray lm, NDArray logit, NDArray is, Map<String, NDArray> parts) {
        float w = (float) config.clmWeight();
        NDArray kd;
        if (is == null) {
            kd = logit;
        } else if (config.weighting() == LossWeighting.FIXED) {
            NDArray alpha = is.getManager().create((float) config.alpha());
            parts.put("alpha", alpha);
            kd = logit == null ? is.mul(alpha) : logit.add(is.mul(alpha));
        } else {
            // DYNAMIC and BALANCER: α = L_logits / L_is under stop-gradient, so α·L_is has the logit loss's magnitude
            // (the balancer's mean-of-pairs rescaled to L_logits is the same number and gradient)
            NDArray alpha = logit.stopGradient().div(is.stopGradient().maximum(1e-12f));
            parts.put("alpha", alpha);
            kd = logit.add(is.mul(alpha));
            if (config.weighting() == LossWeighting.BALANCER && w > 0) {
                NDArray scale = lm.stopGradient().div(kd.stopGradient().maximum(1e-12f)); // kd rescaled to L_lm
                return lm.mul(Scalars.of(lm, w)).add(kd.mul(scale));
            }
        }
        return w > 0 ? lm.mul(Scalars.of(lm, w)).add(kd) : kd;
    }

    /** Teacher forward with autograd off: no graph, no gradients into its weights. */
    Forward teacherForward(NDArray inputs) {
        try (NoGrad noGrad = NoGrad.enter()) {
            Forward.Options o = Forward.options().withCapture(capture(pairs, false));
            return teacher.forward(inputs, config.logitLoss() == LogitLoss.NONE ? o.withoutLogits() : o);
        }
    }

    private Capture capture(List<LayerPair> ps, boolean studentSide) {
        if (ps.isEmpty()) {
            return Capture.none();
        }
        TreeSet<Integer> layers = new TreeSet<>();
        for (LayerPair p : ps) {
            layers.add(studentSide ? p.student() : p.teacher());
        }
        return Capture.of(config.intermediateSite(), Site.FINAL_NORM).inLayers(layers);
    }

    /** The captured hidden state [B, T, d] of a layer index (= depth: the final norm output). */
    private NDArray hidden(Forward f, int layer, int depth) {
        return layer == depth ? f.activations().get(Site.FINAL_NORM, depth) : f.activations().get(config.intermediateSite(), layer);
    }

    /** Frees the projection (the teacher and student belong to the caller). */
    @Override
    public void close() {
        manager.close();
    }
}
