package org.minitron4j.importance;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.eval.TextEncoder;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

/**
 * Depth importance (2407.14679 §2.2, 2408.11796 §3): the LM-loss increase when single layers or contiguous blocks are
 * removed, block importance (from {@link ActivationStats}), and Winogrande accuracy with contiguous blocks removed.
 * Removal is a forward pass that skips the layers ({@code Forward.Options.withSkippedLayers}), identical to a model
 * built without them and far cheaper. Results are Tablesaw tables with one row per removal.
 */
public final class DepthMetrics {
    private DepthMetrics() {
    }

    /**
     * LM loss with each single layer removed: columns layer, loss, base_loss, increase (= loss − base_loss; higher
     * means more important). {@link #increases(Table)} turns it into layer scores.
     */
    public static Table lmLossIncrease(Model model, int[] tokens, LmLossOptions options) {
        Table grid = lmLossGrid(model, tokens, options, 1, 1, Progress.current());
        Table t = Table.create("lm_loss_increase", IntColumn.create("layer", grid.intColumn("start").asIntArray()),
                grid.doubleColumn("loss").copy(), grid.doubleColumn("base_loss").copy(), grid.doubleColumn("increase").copy());
        return t;
    }

    /** The increase column of a table from {@link #lmLossIncrease}, as layer scores [layers]. */
    public static double[] increases(Table lmLossIncrease) {
        return lmLossIncrease.doubleColumn("increase").asDoubleArray();
    }

    /**
     * LM loss with every contiguous block of 1 to {@code maxLength} layers removed: columns start, length, end
     * (inclusive), loss, base_loss, increase. The full (start × length) grid is {@code maxLength = layers − 1}.
     * {@code options.skippedLayers()} must be empty: the grid chooses the skipped layers.
     */
    public static Table lmLossGrid(Model model, int[] tokens, LmLossOptions options, int maxLength) {
        return lmLossGrid(model, tokens, options, 1, maxLength, Progress.current());
    }

    private static Table lmLossGrid(Model model, int[] tokens, LmLossOptions options, int minLength, int maxLength,
                                    Progress progress) {
        int layers = model.config().numLayers();
        checkLengths(layers, minLength, maxLength);
        if (!options.skippedLayers().isEmpty()) {
            throw new InvalidInputException("depth metrics choose the removed layers themselves; LM-loss option "
                    + "skippedLayers must be empty, got " + options.skippedLayers());
        }
        double base = LmLoss.evaluate(model, tokens, options, Progress.NONE).loss();
        IntColumn start = IntColumn.create("start"), length = IntColumn.create("length"), end = IntColumn.create("end");
        DoubleColumn loss = DoubleColumn.create("loss"), baseLoss = DoubleColumn.create("base_loss"),
                inc = DoubleColumn.create("increase");
        int total = count(layers, minLength, maxLength), done = 0;
        for (int k = minLength; k <= maxLength; k++) {
            for (int s = 0; s + k <= layers; s++) {
                double l = LmLoss.evaluate(model, tokens, options.withSkippedLayers(block(s, k)), Progress.NONE).loss();
                start.append(s);
                length.append(k);
                end.append(s + k - 1);
                loss.append(l);
                baseLoss.append(base);
                inc.append(l - base);
                progress.update("lm-loss removals", ++done, total, "layers " + s + ".." + (s + k - 1));
            }
        }
        return Table.create("lm_loss_removals", start, length, end, loss, baseLoss, inc);
    }

    /** Block importance of every contiguous block: see {@link ActivationStats#blockImportanceTable()}. */
    public static Table blockImportance(ActivationStats stats) {
        return stats.blockImportanceTable();
    }

    /** Winogrande accuracy with each contiguous block of exactly {@code length} layers removed. */
    public static Table winogrande(Model model, List<WinograndeItem> items, Tokenizer tokenizer, WinograndeOptions options,
                                   int length, Progress progress) {
        return winograndeGrid(model, items, TextEncoder.of(tokenizer), options, length, length, progress);
    }

    /**
     * Winogrande accuracy with every contiguous block of {@code minLength..maxLength} layers removed: columns start,
     * length, end, acc, acc_stderr, base_acc (the full model's accuracy).
     */
    public static Table winograndeGrid(Model model, List<WinograndeItem> items, TextEncoder encoder, WinograndeOptions options,
                                       int minLength, int maxLength, Progress progress) {
        int layers = model.config().numLayers();
        checkLengths(layers, minLength, maxLength);
        double base = Winogrande.evaluate(items, encoder, new ModelScorer(model), options).acc();
        IntColumn start = IntColumn.create("start"), length = IntColumn.create("length"), end = IntColumn.create("end");
        DoubleColumn acc = DoubleColumn.create("acc"), stderr = DoubleColumn.create("acc_stderr"),
                baseAcc = DoubleColumn.create("base_acc");
        int total = count(layers, minLength, maxLength), done = 0;
        for (int k = minLength; k <= maxLength; k++) {
            for (int s = 0; s + k <= layers; s++) {
                WinograndeResult r = Winogrande.evaluate(items, encoder,
                        new ModelScorer(model, 8192, Progress.NONE, block(s, k)), options);
                start.append(s);
                length.append(k);
                end.append(s + k - 1);
                acc.append(r.acc());
                stderr.append(r.accStderr());
                baseAcc.append(base);
                progress.update("winogrande removals", ++done, total, "layers " + s + ".." + (s + k - 1));
            }
        }
        return Table.create("winogrande_removals", start, length, end, acc, stderr, baseAcc);
    }

    /** Layers start .. start+length−1. */
    static Set<Integer> block(int start, int length) {
        Set<Integer> s = new HashSet<>();
        for (int l = start; l < start + length; l++) {
            s.add(l);
        }
        return s;
    }

    private static void checkLengths(int layers, int minLength, int maxLength) {
        if (minLength < 1 || maxLength < minLength || maxLength > layers) {
            throw new InvalidInputException("block lengths must satisfy 1 <= min <= max <= " + layers + " layers, got min "
                    + minLength + ", max " + maxLength);
        }
    }

    private static int count(int layers, int minLength, int maxLength) {
        int n = 0;
        for (int k = minLength; k <= maxLength; k++) {
            n += layers - k + 1;
        }
        return n;
    }
}
