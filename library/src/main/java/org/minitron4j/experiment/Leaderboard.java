package org.minitron4j.experiment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.distill.Distillation;
import org.minitron4j.eval.EvalSuite;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.MultipleChoiceResult;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Transformer;
import org.minitron4j.train.TrainingLog;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * A results table that models or runs are added to, one row each, keyed by name: a role (teacher, pruned, distilled,
 * baseline…; may be empty), a parameter count (may be unknown) and any metrics, each added by name. A notebook writes
 * one line per model:
 *
 * <pre>{@code
 * val board = Leaderboard.of(EvalSuite.of(tok).withLmTokens(validation).withWinogrande(items))
 * board.measure("teacher", "teacher", teacher)         // LM loss and Winogrande, measured by the suite
 * board.add("run 3", "distilled", student).training(run).lmLoss(loss)   // or results added one by one
 * board.row("teacher").metric("seconds", 12.5)
 * }</pre>
 *
 * A metric a row has not measured is absent: missing (NaN) in {@link #table()}, "not measured" in {@link #toHtml()},
 * left out of {@link #toJsonNode()}. A NaN value counts as not measured. Rows keep the order they were first added in;
 * metric columns the order each metric was first added. Figures of it are {@code org.minitron4j.plot.Figures}'s
 * ({@code versusParameters(board, metric)}, {@code leaderboard(board, metric, higherIsBetter)}). Mutable, not
 * thread-safe.
 */
public final class Leaderboard implements HtmlRenderable {
    /** What {@link #toHtml()} shows in place of a value a row has not measured. */
    public static final String NOT_MEASURED = "not measured";
    /** Suffix of a metric's standard error: {@code winogrande_stderr} goes with {@code winogrande}. */
    public static final String STDERR = "_stderr";
    /** Column names of {@link #table()} that are not metrics (no metric may take them). */
    public static final List<String> FIXED_COLUMNS = List.of("model", "role", "parameters", "parameter_share");

    private final String title;
    private final @Nullable EvalSuite suite;
    private final Map<String, Row> rows = new LinkedHashMap<>();
    private final Set<String> metrics = new LinkedHashSet<>();
    private final Set<String> notes = new LinkedHashSet<>(); // text columns, after the fixed ones
    private @Nullable String reference;

    /** An empty board titled "results". */
    public Leaderboard() {
        this("results");
    }

    /** An empty board; {@code title} names its table. */
    public Leaderboard(String title) {
        this(title, null);
    }

    private Leaderboard(String title, @Nullable EvalSuite suite) {
        this.title = title;
        this.suite = suite;
    }

    /** An empty board titled "results" whose {@link #measure} measures models with {@code suite}. */
    public static Leaderboard of(EvalSuite suite) {
        return of("results", suite);
    }

    /** An empty board titled {@code title} whose {@link #measure} measures models with {@code suite}. */
    public static Leaderboard of(String title, EvalSuite suite) {
        return new Leaderboard(title, suite);
    }

    /** The board's title, which names its {@link #table()} and captions its HTML. */
    public String title() {
        return title;
    }

    // ---- rows ----------------------------------------------------------------------------------------------------

    /** One row: a name, a role, a parameter count and metrics by name. Adders return the row, for chaining. */
    public final class Row {
        private final String name;
        private final String role;
        private final @Nullable Long parameters;
        private final Map<String, Double> values = new LinkedHashMap<>();
        private final Map<String, String> texts = new LinkedHashMap<>();

        private Row(String name, String role, @Nullable Long parameters) {
            this.name = name;
            this.role = role;
            this.parameters = parameters;
        }

        /** The row's key. */
        public String name() {
            return name;
        }

        /** The role, "" when none was given. */
        public String role() {
            return role;
        }

        /** The parameter count, or null when unknown. */
        public @Nullable Long parameters() {
            return parameters;
        }

        /** The value of {@code metric}, or null when not measured. */
        public @Nullable Double value(String metric) {
            return values.get(metric);
        }

        /** The measured metrics by name, in the order added (read-only). */
        public Map<String, Double> values() {
            return Collections.unmodifiableMap(values);
        }

        /** Sets {@code metric} to {@code value} (replacing an earlier value); NaN clears it (not measured). */
        public Row metric(String metric, double value) {
            checkMetric(metric);
            if (notes.contains(metric)) {
                throw new InvalidInputException("'" + metric + "' is a text column of leaderboard '" + title
                        + "', not a metric");
            }
            if (Double.isNaN(value)) {
                values.remove(metric);
            } else {
                values.put(metric, value);
                metrics.add(metric);
            }
            return this;
        }

        /** Every entry of {@code values} as {@link #metric(String, double)}. */
        public Row metrics(Map<String, ? extends Number> values) {
            values.forEach((k, v) -> metric(k, v.doubleValue()));
            return this;
        }

        /**
         * A text column (a setting that is not a number, e.g. {@code note("logit loss", "reverse KL")}); shown after
         * the fixed columns, before the metrics. A name cannot be both a text column and a metric.
         */
        public Row note(String column, String text) {
            checkMetric(column);
            if (metrics.contains(column)) {
                throw new InvalidInputException("'" + column + "' is a metric of leaderboard '" + title
                        + "', not a text column");
            }
            notes.add(column);
            texts.put(column, text == null ? "" : text);
            return this;
        }

        /** The text of column {@code column}, or null when this row has none. */
        public @Nullable String text(String column) {
            return texts.get(column);
        }

        /** {@code lm_loss}: the loss in nats per token. */
        public Row lmLoss(LmLoss.Result r) {
            return metric("lm_loss", r.loss());
        }

        /** {@code winogrande}: accuracy in [0, 1], and {@code winogrande_stderr}. */
        public Row winogrande(WinograndeResult r) {
            return metric("winogrande", r.acc()).metric("winogrande" + STDERR, r.accStderr());
        }

        /** Every result of {@code m}: {@link #lmLoss}, {@link #winogrande} and {@link #multipleChoice}, as measured. */
        public Row measurements(EvalSuite.Measurements m) {
            if (m.lmLoss() != null) {
                lmLoss(m.lmLoss());
            }
            if (m.winogrande() != null) {
                winogrande(m.winogrande());
            }
            m.multipleChoice().forEach(this::multipleChoice);
            return this;
        }

        /**
         * A multiple-choice task under {@code task} (e.g. "arc_easy"): {@code <task>} = acc and {@code
         * <task>_acc_norm} = acc_norm (length-normalised), each with its {@code _stderr}.
         */
        public Row multipleChoice(String task, MultipleChoiceResult r) {
            return metric(task, r.acc()).metric(task + STDERR, r.accStderr())
                    .metric(task + "_acc_norm", r.accNorm()).metric(task + "_acc_norm" + STDERR, r.accNormStderr());
        }

        /**
         * {@code train_loss} and {@code val_loss}: the last logged training and validation losses; one the log never
         * measured is left as it was.
         */
        public Row training(TrainingLog log) {
            return measured("train_loss", log.last("loss")).measured("val_loss", log.last("val_loss"));
        }

        /**
         * {@link #training(TrainingLog)} of the run's log, then {@code val_loss} = the run's final validation loss
         * (when it measured one), {@code train_seconds} (wall-clock seconds) and {@code train_tokens}.
         */
        public Row training(Distillation.Result r) {
            return training(r.log()).measured("val_loss", r.validationLoss()).metric("train_seconds", r.seconds())
                    .metric("train_tokens", r.tokens());
        }

        /** {@link #metric} unless {@code value} is NaN (then the metric is left as it was). */
        private Row measured(String metric, double value) {
            return Double.isNaN(value) ? this : metric(metric, value);
        }

        @Override
        public String toString() {
            return name + (role.isEmpty() ? "" : " (" + role + ")") + (parameters == null ? "" : ", "
                    + Fragments.count(parameters) + " parameters") + (values.isEmpty() ? "" : ", " + values);
        }
    }

    private static void checkMetric(String metric) {
        if (metric == null || metric.isBlank()) {
            throw new InvalidInputException("a leaderboard column needs a name, got '" + metric + "'");
        }
        if (FIXED_COLUMNS.contains(metric)) {
            throw new InvalidInputException("'" + metric + "' is a fixed column of the leaderboard");
        }
    }

    /**
     * Adds a row, or starts the row of that name afresh (its metrics cleared, its position kept), so rerunning a
     * notebook cell does not duplicate it.
     *
     * @param role       e.g. teacher, pruned, distilled; null or "" for none
     * @param parameters the parameter count, or null when unknown
     */
    public Row add(String name, @Nullable String role, @Nullable Long parameters) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("a leaderboard row needs a name, got '" + name + "'");
        }
        if (parameters != null && parameters < 0) {
            throw new InvalidInputException("parameters of '" + name + "' must be >= 0, got " + parameters);
        }
        Row r = new Row(name, role == null ? "" : role, parameters);
        rows.put(name, r);
        return r;
    }

    /** A row for {@code model}, with its exact {@link Transformer#parameterCount()}. */
    public Row add(String name, @Nullable String role, Transformer model) {
        return add(name, role, model.parameterCount());
    }

    /** A row for a model of {@code config}, with {@link ModelConfig#parameterCount()}. */
    public Row add(String name, @Nullable String role, ModelConfig config) {
        return add(name, role, config.parameterCount());
    }

    /**
     * A row for {@code model} with what the board's {@link EvalSuite} measures on it (LM loss, Winogrande,
     * multiple-choice tasks), reporting to {@link org.minitron4j.Progress#current()}.
     *
     * @throws InvalidInputException when the board was made without a suite ({@link #of(EvalSuite)})
     */
    public Row measure(String name, @Nullable String role, Transformer model) {
        if (suite == null) {
            throw new InvalidInputException("leaderboard '" + title + "' has no evaluation suite to measure '" + name
                    + "' with: make it with Leaderboard.of(suite), or add metrics to add(name, role, model)");
        }
        return add(name, role, model).measurements(suite.measure(model));
    }

    /** A row of unknown size (e.g. a run that is not a model). */
    public Row add(String name, @Nullable String role) {
        return add(name, role, (Long) null);
    }

    /** The row named {@code name}. */
    public Row row(String name) {
        Row r = rows.get(name);
        if (r == null) {
            throw new InvalidInputException("no row '" + name + "' in leaderboard '" + title + "' (rows: " + rows.keySet()
                    + ")");
        }
        return r;
    }

    /** Whether a row is named {@code name}. */
    public boolean contains(String name) {
        return rows.containsKey(name);
    }

    /** Sets a metric of an existing row: {@code row(name).metric(metric, value)}. */
    public Leaderboard put(String name, String metric, double value) {
        row(name).metric(metric, value);
        return this;
    }

    /** The rows in the order first added (read-only). */
    public List<Row> rows() {
        return List.copyOf(rows.values());
    }

    /** The number of rows. */
    public int size() {
        return rows.size();
    }

    /** Every metric some row has had, in the order first added. */
    public List<String> metrics() {
        return List.copyOf(metrics);
    }

    /** The value of {@code metric} in row {@code name}, or null when not measured. */
    public @Nullable Double value(String name, String metric) {
        return row(name).value(metric);
    }

    /**
     * Adds a {@code parameter_share} column: each row's parameters over those of row {@code name} (e.g. the teacher),
     * as a fraction. Returns this board.
     */
    public Leaderboard reference(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidInputException("the reference row needs a name, got '" + name + "'");
        }
        reference = name;
        return this;
    }

    /** The best row that measured {@code metric}, or null when none did; ties go to the row added first. */
    public @Nullable Row best(String metric, boolean higherIsBetter) {
        return best(null, metric, higherIsBetter);
    }

    /** As {@link #best(String, boolean)} among the rows of {@code role} (every row when null). */
    public @Nullable Row best(@Nullable String role, String metric, boolean higherIsBetter) {
        Row best = null;
        for (Row r : rows.values()) {
            Double v = r.value(metric);
            if (v == null || (role != null && !role.equals(r.role()))) {
                continue;
            }
            double b = best == null ? Double.NaN : best.value(metric);
            if (best == null || (higherIsBetter ? v > b : v < b)) {
                best = r;
            }
        }
        return best;
    }

    // ---- views ---------------------------------------------------------------------------------------------------

    /**
     * One row per entry: columns model (string), role (string, "" for none), parameters (long, missing when unknown),
     * parameter_share (double, only with a {@link #reference}), then one double column per metric, missing (NaN) where
     * not measured. Named after {@link #title()}; for plotting and CSV.
     */
    public Table table() {
        List<Row> rs = rows();
        LongColumn params = LongColumn.create("parameters");
        for (Row r : rs) {
            if (r.parameters() == null) {
                params.appendMissing();
            } else {
                params.append(r.parameters());
            }
        }
        Table t = Table.create(title, StringColumn.create("model", rs.stream().map(Row::name).toList()),
                StringColumn.create("role", rs.stream().map(Row::role).toList()), params);
        if (reference != null) {
            t.addColumns(DoubleColumn.create("parameter_share", rs.stream().mapToDouble(this::share).toArray()));
        }
        addTextColumns(t, rs);
        for (String m : metrics) {
            t.addColumns(DoubleColumn.create(m, rs.stream().mapToDouble(r -> {
                Double v = r.value(m);
                return v == null ? Double.NaN : v;
            }).toArray()));
        }
        return t;
    }

    /** One string column per {@link Row#note text column}, empty where a row has no text. */
    private void addTextColumns(Table t, List<Row> rs) {
        for (String n : notes) {
            t.addColumns(StringColumn.create(n, rs.stream().map(r -> r.texts.getOrDefault(n, "")).toList()));
        }
    }

    private double share(Row r) {
        Long ref = reference == null || !rows.containsKey(reference) ? null : rows.get(reference).parameters();
        return r.parameters() == null || ref == null || ref == 0 ? Double.NaN : (double) r.parameters() / ref;
    }

    /**
     * Every row with its measured values only: {@code [{"model": …, "role": …, "parameters": …, "lm_loss": …}, …]};
     * role is left out when empty, parameters when unknown, a metric when not measured.
     */
    public ArrayNode toJsonNode() {
        ArrayNode a = JsonMappers.shared().createArrayNode();
        for (Row r : rows.values()) {
            ObjectNode o = a.addObject();
            o.put("model", r.name());
            if (!r.role().isEmpty()) {
                o.put("role", r.role());
            }
            if (r.parameters() != null) {
                o.put("parameters", r.parameters());
            }
            if (reference != null && !Double.isNaN(share(r))) {
                o.put("parameter_share", share(r));
            }
            r.texts.forEach(o::put);
            r.values().forEach(o::put);
        }
        return a;
    }

    /** Writes {@link #toJsonNode()}, indented, to {@code file}. */
    public void writeJson(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            JsonMappers.indented().writeValue(file.toFile(), toJsonNode());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the leaderboard to " + file, e);
        }
    }

    /** Writes {@link #table()} as CSV to {@code file} (a metric not measured is an empty cell). */
    public void writeCsv(Path file) {
        table().write().csv(file.toFile());
    }

    /**
     * Every row as a compact table: model, role (when any row has one), parameters (1.23M), share of the reference
     * (when set), then each metric, shown "value ± stderr" when its {@code _stderr} companion was measured too (which
     * then gets no column of its own); a value not measured reads {@value #NOT_MEASURED}, never NaN.
     */
    @Override
    public String toHtml() {
        List<Row> rs = rows();
        Table t = Table.create(title);
        t.addColumns(StringColumn.create("model", rs.stream().map(Row::name).toList()));
        if (rs.stream().anyMatch(r -> !r.role().isEmpty())) {
            t.addColumns(StringColumn.create("role", rs.stream().map(Row::role).toList()));
        }
        t.addColumns(StringColumn.create("parameters", rs.stream()
                .map(r -> r.parameters() == null ? NOT_MEASURED : Fragments.count(r.parameters())).toList()));
        if (reference != null) {
            t.addColumns(StringColumn.create("of " + reference, rs.stream().map(r -> {
                double s = share(r);
                return Double.isNaN(s) ? NOT_MEASURED : String.format(Locale.ROOT, "%.1f%%", 100 * s);
            }).toList()));
        }
        addTextColumns(t, rs);
        for (String m : metrics) {
            if (m.endsWith(STDERR) && metrics.contains(m.substring(0, m.length() - STDERR.length()))) {
                continue; // shown with its metric
            }
            List<String> cells = new ArrayList<>();
            for (Row r : rs) {
                Double v = r.value(m), se = r.value(m + STDERR);
                cells.add(v == null ? NOT_MEASURED : se == null ? Fragments.number(v)
                        : Fragments.number(v) + " \u00b1 " + Fragments.number(se));
            }
            t.addColumns(StringColumn.create(m, cells));
        }
        return Fragments.table(t, Math.max(rs.size(), 1));
    }

    @Override
    public String toString() {
        return "Leaderboard '" + title + "': " + rows.size() + (rows.size() == 1 ? " row" : " rows") + ", metrics "
                + metrics;
    }
}
