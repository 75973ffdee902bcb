package org.minitron4j.eval;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.model.Transformer;

/**
 * What to measure on every model of a study, so one call measures a model the same way each time: the LM loss on
 * held-out tokens, Winogrande accuracy and any multiple-choice tasks (each left out when not set).
 *
 * <pre>{@code
 * val suite = EvalSuite.of(tok).withLmTokens(corpus.validation()).withWinogrande(items)
 * suite.measure(model)            // LmLoss.Result, WinograndeResult, multiple-choice results
 * Leaderboard.of(suite).measure("teacher", "teacher", teacher)
 * }</pre>
 *
 * @param tokenizer         encodes the task texts (needed for Winogrande and multiple choice)
 * @param lmTokens          held-out tokens for the LM loss, or null for none
 * @param lmLoss            how the LM loss is computed
 * @param winogrande        Winogrande items (empty for none)
 * @param winograndeOptions limit, shots and seed of the Winogrande run
 * @param multipleChoice    multiple-choice tasks by name (e.g. {@code story_endings}), scored on every item
 * @param batchTokens       tokens per forward batch when scoring tasks (memory, not results)
 */
@RecordBuilder
public record EvalSuite(@Nullable Tokenizer tokenizer, int @Nullable [] lmTokens, LmLossOptions lmLoss,
                        List<WinograndeItem> winogrande, WinograndeOptions winograndeOptions,
                        Map<String, List<MultipleChoiceItem>> multipleChoice, int batchTokens)
        implements EvalSuiteBuilder.With {
    public EvalSuite {
        winogrande = List.copyOf(winogrande);
        multipleChoice = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(multipleChoice));
        if (batchTokens < 1) {
            throw new InvalidInputException("evaluation option batchTokens must be at least 1, got " + batchTokens);
        }
        if (tokenizer == null && (!winogrande.isEmpty() || !multipleChoice.isEmpty())) {
            throw new InvalidInputException("an evaluation with Winogrande or multiple-choice tasks needs a tokenizer");
        }
    }

    /** Measures nothing yet; {@code tokenizer} encodes the task texts added later. */
    public static EvalSuite of(@Nullable Tokenizer tokenizer) {
        return new EvalSuite(tokenizer, null, LmLossOptions.defaults(), List.of(), WinograndeOptions.defaults(),
                Map.of(), 8192);
    }

    /** A copy that also scores the multiple-choice task {@code name} on {@code items}. */
    public EvalSuite withMultipleChoice(String name, List<MultipleChoiceItem> items) {
        Map<String, List<MultipleChoiceItem>> tasks = new LinkedHashMap<>(multipleChoice);
        tasks.put(name, List.copyOf(items));
        return withMultipleChoice(tasks);
    }

    /** The results of one model under this suite; each is null (empty) when the suite does not measure it. */
    public record Measurements(LmLoss.@Nullable Result lmLoss, @Nullable WinograndeResult winogrande,
                               Map<String, MultipleChoiceResult> multipleChoice) implements HtmlRenderable {
        @Override
        public String toHtml() {
            Map<String, Object> rows = new LinkedHashMap<>();
            if (lmLoss != null) {
                rows.put("LM loss (nats/token)", Fragments.fixed(lmLoss.loss(), 4) + " over "
                        + Fragments.count(lmLoss.tokens()) + " tokens");
            }
            if (winogrande != null) {
                rows.put("Winogrande acc", Fragments.fixed(winogrande.acc(), 4) + " ± "
                        + Fragments.fixed(winogrande.accStderr(), 4) + " (" + winogrande.n() + " items)");
            }
            multipleChoice.forEach((task, r) -> rows.put(task + " acc / acc_norm", Fragments.fixed(r.acc(), 4) + " / "
                    + Fragments.fixed(r.accNorm(), 4) + " (" + r.n() + " items)"));
            return Fragments.keyValues("measurements", rows);
        }
    }

    /** Measures {@code model}, reporting to {@link Progress#current()}. */
    public Measurements measure(Transformer model) {
        return measure(model, Progress.current());
    }

    /** Measures {@code model}: the LM loss, then Winogrande, then each multiple-choice task. */
    public Measurements measure(Transformer model, Progress progress) {
        return measure(model, lmLoss.skippedLayers(), progress);
    }

    /**
     * Measures {@code model} as if {@code skippedLayers} were removed (every measure, not only the LM loss), reporting
     * to {@link Progress#current()}: depth pruning's candidates without building new models.
     */
    public Measurements measure(Transformer model, java.util.Set<Integer> skippedLayers) {
        return measure(model, skippedLayers, Progress.current());
    }

    private Measurements measure(Transformer model, java.util.Set<Integer> skippedLayers, Progress progress) {
        LmLoss.Result loss = lmTokens == null ? null
                : LmLoss.evaluate(model, lmTokens, lmLoss.withSkippedLayers(skippedLayers), progress);
        ModelScorer scorer = new ModelScorer(model, batchTokens, progress, skippedLayers);
        WinograndeResult wg = winogrande.isEmpty() || tokenizer == null ? null
                : Winogrande.evaluate(winogrande, tokenizer, scorer, winograndeOptions);
        Map<String, MultipleChoiceResult> mc = new LinkedHashMap<>();
        if (tokenizer != null) {
            multipleChoice.forEach((task, items) -> mc.put(task, MultipleChoice.evaluate(items, tokenizer, scorer, 0)));
        }
        return new Measurements(loss, wg, mc);
    }

    @Override
    public String toString() {
        return "EvalSuite[" + (lmTokens == null ? "" : "lm-loss on " + lmTokens.length + " tokens, ")
                + (winogrande.isEmpty() ? "" : "winogrande " + winogrande.size() + " items, ")
                + "multiple choice " + multipleChoice.keySet() + "]";
    }
}
