package org.minitron4j.train;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.minitron4j.model.Forward;
import org.minitron4j.model.LogProbs;
import org.minitron4j.model.Model;

/**
 * What a training step minimises, given the student and a batch (inputs and next-token targets, [B, T]). Plain
 * language-model training is {@link #languageModeling()}; distillation objectives add teacher terms to the same loop.
 */
@FunctionalInterface
public interface Objective {
    /** The differentiable total and its named scalar parts (for the log). */
    record Terms(NDArray total, Map<String, NDArray> parts) {
    }

    Terms compute(Model student, NDArray inputs, NDArray targets);

    /**
     * Trainable tensors the objective owns besides the student's weights (e.g. the distillation projection), by unique
     * name. The loop optimises, clips and checkpoints them with the student; none by default.
     */
    default Map<String, NDArray> parameters() {
        return Map.of();
    }

    /** Mean next-token cross-entropy (CLM loss), logged as {@code lm_loss}. */
    static Objective languageModeling() {
        return (student, inputs, targets) -> {
            NDArray logits = student.forward(inputs, Forward.options()).logits();
            NDArray lm = LogProbs.ofTargets(logits, targets).mean().neg();
            Map<String, NDArray> parts = new LinkedHashMap<>();
            parts.put("lm_loss", lm);
            return new Terms(lm, parts);
        };
    }
}
