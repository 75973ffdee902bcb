package org.minitron4j.importance;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/**
 * Iterative importance estimation (2407.14679 Table 14): re-score after each pruning step, versus single-shot (score the
 * original once, prune straight to the final target). The pruner is a parameter, so any target type and surgery fit.
 */
public final class IterativeImportance {
    private IterativeImportance() {
    }

    /** One pruning step: a new model for {@code target}, chosen by {@code ranking} (scores of {@code model}). */
    @FunctionalInterface
    public interface PruneStep<T> {
        Model prune(Model model, ImportanceRanking ranking, T target);
    }

    /** What one step saw: its target, the ranking it pruned by, and the config before and after. */
    public record Step<T>(T target, ImportanceRanking ranking, ModelConfig before, ModelConfig after) {}

    /** The final model (owned by the caller) and the steps that led to it. */
    public record Result<T>(Model model, List<Step<T>> steps) {}

    /**
     * For each target in order: score the current model with {@code estimate}, prune it with {@code prune}. Intermediate
     * models are closed; the input model is left untouched and open.
     */
    public static <T> Result<T> run(Model model, List<T> targets, Function<Model, ? extends ImportanceRanking> estimate,
                                    PruneStep<T> prune) {
        if (targets.isEmpty()) {
            throw new InvalidInputException("iterative pruning needs at least one target");
        }
        List<Step<T>> steps = new ArrayList<>();
        Model current = model;
        for (T target : targets) {
            ImportanceRanking ranking = estimate.apply(current);
            Model next = Objects.requireNonNull(prune.prune(current, ranking, target), "prune step returned null");
            steps.add(new Step<>(target, ranking, current.config(), next.config()));
            if (current != model && next != current) {
                current.close();
            }
            current = next;
        }
        return new Result<>(current, List.copyOf(steps));
    }

    /** Single-shot: score {@code model} once and prune straight to {@code target}. */
    public static <T> Result<T> singleShot(Model model, T target, Function<Model, ? extends ImportanceRanking> estimate,
                                           PruneStep<T> prune) {
        return run(model, List.of(target), estimate, prune);
    }

    /** An estimator that calibrates on {@code windows} and ranks by {@code aggregation} and {@code variant}. */
    public static Function<Model, ImportanceScores> calibrating(List<int[]> windows, int batchSize, Aggregation aggregation,
                                                                MlpVariant variant) {
        return m -> Calibration.run(m, windows, batchSize, Progress.NONE).scores(aggregation, variant);
    }
}
