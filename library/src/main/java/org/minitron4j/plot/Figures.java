package org.minitron4j.plot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.minitron4j.experiment.Leaderboard;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.train.TrainingLog;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;
import tech.tablesaw.plotly.components.Axis;
import tech.tablesaw.plotly.components.Figure;
import tech.tablesaw.plotly.components.Layout;
import tech.tablesaw.plotly.components.Marker;
import tech.tablesaw.plotly.traces.BarTrace;
import tech.tablesaw.plotly.traces.HeatmapTrace;
import tech.tablesaw.plotly.traces.HistogramTrace;
import tech.tablesaw.plotly.traces.ScatterTrace;
import tech.tablesaw.plotly.traces.Trace;
import tech.tablesaw.selection.Selection;

/**
 * The figures of a pruning study as values: each factory reads a Tablesaw table (importance scores, depth metrics,
 * block searches, training logs, evaluation summaries) and returns a tablesaw-jsplot {@link Figure}, which renders
 * in a notebook or through {@link Html#figure}. Column names have defaults matching the library's tables; every
 * factory has an overload that takes them explicitly, and a missing column is reported with the ones present.
 * Overloads take the library's results directly ({@link ImportanceScores}, several named {@link TrainingLog}s, a
 * {@link Leaderboard}) and draw them with the same table-based code.
 */
public final class Figures {
    private Figures() {
    }

    // ----------------------------------------------------------------------------------------------------------
    // Importance

    /** Attention-head importance as a layer × head heatmap, from columns {@code layer}, {@code index}, {@code score}. */
    public static Figure headHeatmap(Table scores) {
        return headHeatmap(scores, "layer", "index", "score");
    }

    /**
     * Attention-head importance as a heatmap: one row per layer, one column per head, colour = score. The table must
     * hold one row per (layer, head) for a single component and aggregation; filter it first otherwise.
     */
    public static Figure headHeatmap(Table scores, String layerColumn, String headColumn, String scoreColumn) {
        return grid(scores, headColumn, layerColumn, scoreColumn, "Head importance", "head", "layer");
    }

    /**
     * The head scores of {@code scores} ({@link ImportanceScores#headScores(int)} of every layer) as a layer × head
     * heatmap, titled with the aggregation: the figure {@link #headHeatmap(Table)} draws from the filtered score table.
     */
    public static Figure headHeatmap(ImportanceScores scores) {
        ModelConfig c = scores.config();
        IntColumn layer = IntColumn.create("layer"), head = IntColumn.create("index");
        DoubleColumn score = DoubleColumn.create("score");
        for (int l = 0; l < c.numLayers(); l++) {
            double[] h = scores.headScores(l);
            for (int i = 0; i < h.length; i++) {
                layer.append(l);
                head.append(i);
                score.append(h[i]);
            }
        }
        return grid(Table.create("head importance", layer, head, score), "index", "layer", "score",
                "Head importance (" + scores.aggregation().label() + ")", "head", "layer");
    }

    /** {@link #neuronHeatmap(ImportanceScores, int)} with at most {@value #NEURON_BUCKETS} buckets per layer. */
    public static Figure neuronHeatmap(ImportanceScores scores) {
        return neuronHeatmap(scores, NEURON_BUCKETS);
    }

    /** Buckets per layer of {@link #neuronHeatmap(ImportanceScores)}. */
    public static final int NEURON_BUCKETS = 64;

    /**
     * MLP-neuron importance ({@link ImportanceScores#neuronScores(int)}) as a layer × neuron heatmap. With ffn neurons
     * per layer and b = min(buckets, ffn), bucket j holds the neurons ⌊j·ffn/b⌋ .. ⌊(j+1)·ffn/b⌋ − 1 (by index, as
     * the model stores them) and its colour is their mean score; columns are labelled with the bucket's first neuron.
     * With buckets ≥ ffn every neuron is its own column.
     */
    public static Figure neuronHeatmap(ImportanceScores scores, int buckets) {
        if (buckets < 1) {
            throw new IllegalArgumentException("buckets must be at least 1, got " + buckets);
        }
        ModelConfig c = scores.config();
        int ffn = c.intermediateSize(), b = Math.min(buckets, ffn);
        IntColumn layer = IntColumn.create("layer"), first = IntColumn.create("neuron");
        DoubleColumn mean = DoubleColumn.create("score");
        for (int l = 0; l < c.numLayers(); l++) {
            double[] n = scores.neuronScores(l);
            for (int j = 0; j < b; j++) {
                int from = (int) ((long) j * ffn / b), to = (int) ((long) (j + 1) * ffn / b);
                double sum = 0;
                for (int i = from; i < to; i++) {
                    sum += n[i];
                }
                layer.append(l);
                first.append(from);
                mean.append(sum / (to - from));
            }
        }
        String what = b == ffn ? "neuron" : "first neuron of bucket";
        String title = "Neuron importance (" + scores.variant().label() + ", " + scores.aggregation().label()
                + (b == ffn ? ")" : "; mean of " + b + " buckets of ~" + Math.round((double) ffn / b) + " neurons)");
        return grid(Table.create("neuron importance", layer, first, mean), "neuron", "layer", "score", title, what,
                "layer");
    }

    /** The distribution of {@code score} values as a histogram. */
    public static Figure scoreHistogram(Table scores) {
        return scoreHistogram(scores, "score", null);
    }

    /**
     * The distribution of {@code scoreColumn} as a histogram; with a {@code groupColumn} (e.g. {@code component}) one
     * overlaid histogram per group.
     */
    public static Figure scoreHistogram(Table scores, String scoreColumn, @Nullable String groupColumn) {
        double[] values = numbers(scores, scoreColumn);
        List<Trace> traces = new ArrayList<>();
        if (groupColumn == null) {
            traces.add(HistogramTrace.builder(finite(values)).name(scoreColumn).build());
        } else {
            Column<?> groups = column(scores, groupColumn);
            Map<String, List<Double>> byGroup = new LinkedHashMap<>();
            for (int r = 0; r < scores.rowCount(); r++) {
                byGroup.computeIfAbsent(String.valueOf(groups.get(r)), k -> new ArrayList<>()).add(values[r]);
            }
            byGroup.forEach((g, v) -> traces.add(HistogramTrace.builder(finite(v.stream().mapToDouble(d -> d).toArray()))
                    .name(g).opacity(0.6).build()));
        }
        Layout layout = layout("Score distribution", scoreColumn, "count").showLegend(groupColumn != null)
                .barMode(Layout.BarMode.OVERLAY).build();
        return new Figure(layout, traces.toArray(Trace[]::new));
    }

    /** Per-layer metrics (every numeric column but {@code layer}) as curves against {@code layer}. */
    public static Figure depthCurves(Table metrics) {
        return depthCurves(metrics, "layer", List.of());
    }

    /** Per-layer metrics {@code ys} (all numeric columns but {@code x} when empty) as curves against {@code x}. */
    public static Figure depthCurves(Table metrics, String x, String... ys) {
        return depthCurves(metrics, x, List.of(ys));
    }

    /** As {@link #depthCurves(Table, String, String...)} with a list of columns. */
    public static Figure depthCurves(Table metrics, String x, List<String> ys) {
        List<String> series = ys.isEmpty() ? numericColumnsExcept(metrics, List.of(x)) : ys;
        return lines(metrics, x, series, List.of(), "Depth importance", x,
                series.size() == 1 ? series.get(0) : String.join(", ", series), null);
    }

    /** Contiguous-block removal results as a start × length grid, from columns {@code start}, {@code length}, {@code score}. */
    public static Figure blockGrid(Table blocks) {
        return blockGrid(blocks, "start", "length", "score");
    }

    /**
     * Contiguous-block removal results as a heatmap: x = first removed layer, y = number of layers removed,
     * colour = the score (e.g. LM loss or accuracy after removal); combinations not in the table stay blank.
     */
    public static Figure blockGrid(Table blocks, String startColumn, String lengthColumn, String scoreColumn) {
        return grid(blocks, startColumn, lengthColumn, scoreColumn, "Contiguous block removal", "first layer removed",
                "layers removed");
    }

    // ----------------------------------------------------------------------------------------------------------
    // Training

    /** Loss columns and α of a training log against its steps (see {@link #trainingCurves(Table)}). */
    public static Figure trainingCurves(TrainingLog log) {
        return trainingCurves(log.table());
    }

    /**
     * Every column whose name contains {@code loss} against {@code step} on the left axis, and every column whose name
     * starts with {@code alpha} (the distillation weights) on a right axis. Steps where a series is NaN (e.g. a
     * validation loss measured only every n steps) are skipped, so its line joins the measured points.
     */
    public static Figure trainingCurves(Table log) {
        List<String> losses = new ArrayList<>();
        List<String> alphas = new ArrayList<>();
        for (String name : numericColumnsExcept(log, List.of("step"))) {
            if (name.toLowerCase().startsWith("alpha")) {
                alphas.add(name);
            } else if (name.toLowerCase().contains("loss")) {
                losses.add(name);
            }
        }
        return trainingCurves(log, "step", losses, alphas);
    }

    /**
     * Several named runs on one figure: for each log (in the map's order) and each of {@code columns}, one curve
     * against {@code step}, named after the run (or "run column" when several columns are drawn). With no columns,
     * every column whose name contains {@code loss} (α columns excluded) of any log is drawn. A log without a column
     * simply has no curve for it; NaN steps (validation not measured) are skipped, so each line joins its points.
     *
     * @throws IllegalArgumentException when there is no log, or no log has one of {@code columns} (or any loss column)
     */
    public static Figure trainingCurves(Map<String, TrainingLog> logs, String... columns) {
        if (logs.isEmpty()) {
            throw new IllegalArgumentException("no training logs to plot");
        }
        Map<String, Table> tables = new LinkedHashMap<>();
        logs.forEach((name, log) -> tables.put(name, log.table()));
        LinkedHashSet<String> present = new LinkedHashSet<>();
        tables.values().forEach(t -> present.addAll(numericColumnsExcept(t, List.of("step"))));
        List<String> wanted = new ArrayList<>(List.of(columns));
        if (wanted.isEmpty()) {
            for (String name : present) {
                if (!name.toLowerCase().startsWith("alpha") && name.toLowerCase().contains("loss")) {
                    wanted.add(name);
                }
            }
            if (wanted.isEmpty()) {
                throw new IllegalArgumentException("no loss column in the training logs " + logs.keySet()
                        + " (columns: " + present + ")");
            }
        }
        for (String name : wanted) {
            if (!present.contains(name)) {
                throw new IllegalArgumentException("no training log of " + logs.keySet() + " has a column '" + name
                        + "' (columns: " + present + ")");
            }
        }
        List<Trace> traces = new ArrayList<>();
        tables.forEach((run, t) -> {
            for (String name : wanted) {
                if (t.containsColumn(name)) {
                    traces.add(series(numbers(t, "step"), numbers(t, name), wanted.size() == 1 ? run : run + " " + name,
                            false));
                }
            }
        });
        Layout layout = layout("Training", "step", wanted.size() == 1 ? wanted.get(0) : "loss").showLegend(true).build();
        return new Figure(layout, traces.toArray(Trace[]::new));
    }

    /** {@code losses} against {@code stepColumn} on the left axis, {@code secondary} (e.g. α) on a right axis. */
    public static Figure trainingCurves(Table log, String stepColumn, List<String> losses, List<String> secondary) {
        if (losses.isEmpty() && secondary.isEmpty()) {
            throw new IllegalArgumentException("no series to plot: table '" + log.name() + "' has no loss or alpha "
                    + "column (columns: " + log.columnNames() + ")");
        }
        return lines(log, stepColumn, losses, secondary, "Training", stepColumn, "loss",
                secondary.isEmpty() ? null : String.join(", ", secondary));
    }

    // ----------------------------------------------------------------------------------------------------------
    // Comparisons

    /**
     * A metric against parameter count, one labelled point per model, from columns {@code model}, {@code parameters}
     * and {@code metric}; with a {@code role} column (e.g. teacher / student / baseline) one coloured series per role.
     */
    public static Figure versusParameters(Table models, String metric) {
        return versusParameters(models, "parameters", metric, "model", models.containsColumn("role") ? "role" : null);
    }

    /** As {@link #versusParameters(Table, String)} with explicit columns; {@code groupColumn} may be null. */
    public static Figure versusParameters(Table models, String parametersColumn, String metric, String labelColumn,
            @Nullable String groupColumn) {
        double[] x = numbers(models, parametersColumn);
        double[] y = numbers(models, metric);
        Column<?> labels = column(models, labelColumn);
        Column<?> groups = groupColumn == null ? null : column(models, groupColumn);
        // One trace per model, named in the legend: point labels drawn on the plot overlap when models are close in
        // size and are cut at the edges (tablesaw's scatter has no text position).
        List<Trace> traces = new ArrayList<>();
        for (int r = 0; r < models.rowCount(); r++) {
            String name = label(labels.get(r)) + (groups == null || label(groups.get(r)).isEmpty() ? ""
                    : " (" + label(groups.get(r)) + ")");
            traces.add(ScatterTrace.builder(new double[] {x[r]}, new double[] {y[r]}).mode(ScatterTrace.Mode.MARKERS)
                    .text(new String[] {name}).name(name).marker(Marker.builder().size(11).build()).build());
        }
        Layout layout = layout(quantity(metric) + " vs parameters", parametersColumn, metric).showLegend(true).build();
        return new Figure(layout, traces.toArray(Trace[]::new));
    }

    /**
     * {@code metric} against parameter count, one labelled point per row of {@code board} that has both (rows not
     * measured are left out), one series per role when any row has a role: {@link #versusParameters(Table, String,
     * String, String, String)} of {@link Leaderboard#table()}.
     */
    public static Figure versusParameters(Leaderboard board, String metric) {
        Table t = measured(board, metric, true);
        boolean roles = t.stringColumn("role").asList().stream().anyMatch(r -> !r.isEmpty());
        return versusParameters(t, "parameters", metric, "model", roles ? "role" : null);
    }

    /**
     * Every row of {@code board} that measured {@code metric} as a bar, best first ({@link #leaderboard(Table, String,
     * String, int, boolean)} of {@link Leaderboard#table()}); {@code higherIsBetter} false for a loss.
     */
    public static Figure leaderboard(Leaderboard board, String metric, boolean higherIsBetter) {
        Table t = measured(board, metric, false);
        return leaderboard(t, "model", metric, t.rowCount(), higherIsBetter);
    }

    /** The rows of {@code board}'s table that measured {@code metric} (and know their parameters, when asked). */
    private static Table measured(Leaderboard board, String metric, boolean needParameters) {
        if (!board.metrics().contains(metric)) {
            throw new IllegalArgumentException("leaderboard '" + board.title() + "' has no metric '" + metric
                    + "' (metrics: " + board.metrics() + ")");
        }
        Table t = board.table();
        Selection keep = t.doubleColumn(metric).isNotMissing();
        if (needParameters) {
            keep = keep.and(t.longColumn("parameters").isNotMissing());
        }
        Table rows = t.where(keep);
        if (rows.rowCount() == 0) {
            throw new IllegalArgumentException("no row of leaderboard '" + board.title() + "' has measured '" + metric
                    + "'" + (needParameters ? " and knows its parameter count" : ""));
        }
        return rows;
    }

    /** The best 20 architecture candidates by {@code score} (higher is better), from columns {@code candidate}, {@code score}. */
    public static Figure leaderboard(Table candidates) {
        return leaderboard(candidates, "candidate", "score", 20, true);
    }

    /**
     * The best {@code top} rows of {@code candidates} as bars, best first: sorted by {@code scoreColumn} descending when
     * {@code higherIsBetter}, ascending otherwise (e.g. for a loss).
     */
    public static Figure leaderboard(Table candidates, String labelColumn, String scoreColumn, boolean higherIsBetter) {
        return leaderboard(candidates, labelColumn, scoreColumn, Math.max(1, candidates.rowCount()), higherIsBetter);
    }

    /** {@link #leaderboard(Table, String, String, boolean)} of the best {@code top} rows only. */
    public static Figure leaderboard(Table candidates, String labelColumn, String scoreColumn, int top,
            boolean higherIsBetter) {
        if (top < 1) {
            throw new IllegalArgumentException("top must be at least 1, got " + top);
        }
        double[] scores = numbers(candidates, scoreColumn);
        Column<?> labels = column(candidates, labelColumn);
        Integer[] order = new Integer[candidates.rowCount()];
        Arrays.setAll(order, i -> i);
        Comparator<Integer> byScore = Comparator.comparingDouble(i -> scores[i]);
        Arrays.sort(order, higherIsBetter ? byScore.reversed() : byScore);
        int n = Math.min(top, order.length);
        Object[] x = new Object[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = label(labels.get(order[i]));
            y[i] = scores[order[i]];
        }
        Layout layout = Layout.builder().title("Leaderboard (" + scoreColumn + (higherIsBetter ? ", higher" : ", lower")
                        + " is better)")
                .xAxis(Axis.builder().title(labelColumn).type(Axis.Type.CATEGORY).build())
                .yAxis(Axis.builder().title(scoreColumn).build()).build();
        return new Figure(layout, BarTrace.builder(x, y).name(scoreColumn).build());
    }

    // ----------------------------------------------------------------------------------------------------------

    private static Figure grid(Table t, String xColumn, String yColumn, String zColumn, String title, String xTitle,
            String yTitle) {
        double[] xs = numbers(t, xColumn);
        double[] ys = numbers(t, yColumn);
        double[] zs = numbers(t, zColumn);
        TreeSet<Long> xKeys = new TreeSet<>();
        TreeSet<Long> yKeys = new TreeSet<>();
        for (int r = 0; r < t.rowCount(); r++) {
            xKeys.add(integer(xs[r], xColumn));
            yKeys.add(integer(ys[r], yColumn));
        }
        List<Long> xl = new ArrayList<>(xKeys);
        List<Long> yl = new ArrayList<>(yKeys);
        double[][] z = new double[yl.size()][xl.size()]; // (rows = y, columns = x), as plotly wants it
        for (double[] row : z) {
            Arrays.fill(row, Double.NaN);
        }
        Map<String, Integer> seen = new TreeMap<>();
        for (int r = 0; r < t.rowCount(); r++) {
            int yi = yl.indexOf(integer(ys[r], yColumn));
            int xi = xl.indexOf(integer(xs[r], xColumn));
            String key = yColumn + " " + yl.get(yi) + ", " + xColumn + " " + xl.get(xi);
            if (seen.put(key, r) != null) {
                throw new IllegalArgumentException("table '" + t.name() + "' has several rows for " + key
                        + ": filter it to one component/aggregation first");
            }
            z[yi][xi] = zs[r];
        }
        Layout layout = Layout.builder().title(title)
                .xAxis(Axis.builder().title(xTitle).type(Axis.Type.CATEGORY).build())
                .yAxis(Axis.builder().title(yTitle).type(Axis.Type.CATEGORY).build()).build();
        HeatmapTrace.HeatmapBuilder heat = HeatmapTrace.builder(xl.toArray(), yl.toArray(), z);
        heat.name(zColumn); // TraceBuilder.name returns the base type, which has no build()
        return new Figure(layout, heat.build());
    }

    private static Figure lines(Table t, String x, List<String> left, List<String> right, String title, String xTitle,
            String leftTitle, String rightTitle) {
        double[] xs = numbers(t, x);
        List<Trace> traces = new ArrayList<>();
        for (String name : left) {
            traces.add(series(xs, numbers(t, name), name, false));
        }
        for (String name : right) {
            traces.add(series(xs, numbers(t, name), name, true));
        }
        Layout.LayoutBuilder layout = layout(title, xTitle, leftTitle).showLegend(true);
        if (rightTitle != null) {
            layout.yAxis2(Axis.builder().title(rightTitle).side(Axis.Side.right).overlaying(ScatterTrace.YAxis.Y)
                    .showGrid(false).build());
        }
        return new Figure(layout.build(), traces.toArray(Trace[]::new));
    }

    private static ScatterTrace series(double[] xs, double[] ys, String name, boolean secondAxis) {
        int n = 0;
        for (double y : ys) {
            n += Double.isNaN(y) ? 0 : 1;
        }
        double[] fx = new double[n];
        double[] fy = new double[n];
        for (int i = 0, j = 0; i < ys.length; i++) {
            if (!Double.isNaN(ys[i])) {
                fx[j] = xs[i];
                fy[j++] = ys[i];
            }
        }
        ScatterTrace.ScatterBuilder b = ScatterTrace.builder(fx, fy).mode(n <= 1 ? ScatterTrace.Mode.MARKERS
                : ScatterTrace.Mode.LINE_AND_MARKERS).name(label(name));
        if (secondAxis) {
            b.yAxis(ScatterTrace.YAxis.Y2);
        }
        return b.build();
    }

    private static Layout.LayoutBuilder layout(String title, String xTitle, String yTitle) {
        return Layout.builder().title(title).xAxis(Axis.builder().title(quantity(xTitle)).build())
                .yAxis(Axis.builder().title(quantity(yTitle)).build());
    }

    /** Axis titles: the quantity and its unit for the library's column names, the name itself otherwise. */
    static String quantity(String column) {
        switch (column) {
            case "lm_loss": return "LM loss (nats/token)";
            case "loss": return "training loss (nats/token)";
            case "val_loss": return "validation loss (nats/token)";
            case "train_loss": return "training loss (nats/token)";
            case "winogrande": return "Winogrande accuracy";
            case "bi": return "block importance (1 − cos(x_in, x_out))";
            case "increase": return "LM-loss increase when removed (nats/token)";
            case "start": return "first layer of the block";
            case "length": return "layers in the block";
            case "step": return "training step";
            case "score": return "importance score";
            default: return column;
        }
    }

    private static Column<?> column(Table t, String name) {
        if (name == null || !t.containsColumn(name)) {
            throw new IllegalArgumentException("table '" + t.name() + "' has no column '" + name + "' (columns: "
                    + t.columnNames() + ")");
        }
        return t.column(name);
    }

    private static double[] numbers(Table t, String name) {
        Column<?> c = column(t, name);
        if (!(c instanceof NumericColumn<?> n)) {
            throw new IllegalArgumentException("column '" + name + "' of table '" + t.name() + "' is " + c.type()
                    + ", not numeric");
        }
        return n.asDoubleArray();
    }

    private static List<String> numericColumnsExcept(Table t, List<String> except) {
        List<String> names = new ArrayList<>();
        for (Column<?> c : t.columns()) {
            if (c instanceof NumericColumn<?> && !except.contains(c.name())) {
                names.add(c.name());
            }
        }
        return names;
    }

    private static long integer(double v, String column) {
        if (v != Math.rint(v)) {
            throw new IllegalArgumentException("column '" + column + "' must hold whole numbers, found " + v);
        }
        return (long) v;
    }

    private static double[] finite(double[] v) {
        return Arrays.stream(v).filter(Double::isFinite).toArray();
    }

    // Trace names and labels end up inside single-quoted JavaScript strings (tablesaw-jsplot templates).
    private static String label(Object o) {
        return String.valueOf(o).replace("\\", "/").replace("'", "\u2019").replace("\"", "\u201d")
                .replace("\n", " ");
    }
}
