package org.minitron4j.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.minitron4j.InvalidInputException;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * Per-step records of a training run (step, every loss component, learning rate, gradient norm, throughput, validation
 * loss where measured) as a Tablesaw table that can be saved, reloaded and plotted.
 */
public final class TrainingLog implements HtmlRenderable {
    private final List<Integer> steps = new ArrayList<>();
    private final List<Map<String, Double>> rows = new ArrayList<>();
    private final Set<String> columns = new LinkedHashSet<>();

    void add(int step, Map<String, Double> values) {
        steps.add(step);
        rows.add(values);
        columns.addAll(values.keySet());
    }

    List<Integer> steps() {
        return steps;
    }

    List<Map<String, Double>> rows() {
        return rows;
    }

    public int size() {
        return rows.size();
    }

    /** The last value of a column, or NaN. */
    public double last(String column) {
        for (int i = rows.size() - 1; i >= 0; i--) {
            Double v = rows.get(i).get(column);
            if (v != null && !Double.isNaN(v)) {
                return v;
            }
        }
        return Double.NaN;
    }

    /** One row per logged step; columns missing in a row are NaN. */
    public Table table() {
        Table t = Table.create("training log");
        t.addColumns(IntColumn.create("step", steps.stream().mapToInt(Integer::intValue).toArray()));
        for (String c : columns) {
            double[] values = new double[rows.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = rows.get(i).getOrDefault(c, Double.NaN);
            }
            t.addColumns(DoubleColumn.create(c, values));
        }
        return t;
    }

    public void writeCsv(Path file) {
        table().write().csv(file.toFile());
    }

    /**
     * The log {@link #writeCsv} wrote (e.g. {@code training_log.csv} of a {@code distill} output folder).
     *
     * @throws InvalidInputException when the file is missing or has no {@code step} column
     */
    public static TrainingLog read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(file + ": no training log here");
        }
        Table t;
        try {
            t = Table.read().csv(CsvReadOptions.builder(file.toFile()).columnTypesPartial(
                    name -> Optional.of(name.equals("step") ? ColumnType.INTEGER : ColumnType.DOUBLE)).build());
        } catch (RuntimeException e) {
            throw new InvalidInputException(file + ": not a training log (" + e.getMessage() + ")");
        }
        if (!t.columnNames().contains("step")) {
            throw new InvalidInputException(file + ": not a training log (no 'step' column)");
        }
        TrainingLog log = new TrainingLog();
        for (int i = 0; i < t.rowCount(); i++) {
            Map<String, Double> values = new LinkedHashMap<>();
            for (String c : t.columnNames()) {
                if (!c.equals("step")) {
                    double v = t.doubleColumn(c).getDouble(i);
                    if (!Double.isNaN(v)) { // written as an empty cell: not logged at this step
                        values.put(c, v);
                    }
                }
            }
            log.add(t.intColumn("step").getInt(i), values);
        }
        log.columns.addAll(t.columnNames().stream().filter(c -> !c.equals("step")).toList());
        return log;
    }

    /**
     * The last logged rows. Its training curves are a figure, which {@code plot} draws: {@code
     * org.minitron4j.plot.Summaries.html(Object)} (what notebooks show) puts them above this summary.
     */
    @Override
    public String toHtml() {
        Table t = table();
        int tail = Math.min(t.rowCount(), 5);
        Table last = t.rowCount() == 0 ? t : t.inRange(t.rowCount() - tail, t.rowCount());
        last.setName("training log: last " + tail + " of " + t.rowCount() + " logged steps");
        return Fragments.table(last, tail);
    }
}
