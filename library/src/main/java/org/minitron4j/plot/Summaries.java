package org.minitron4j.plot;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.MultipleChoiceResult;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.train.TrainingLog;
import tech.tablesaw.api.Table;
import tech.tablesaw.plotly.components.Figure;

/**
 * Compact HTML summaries of the library's values (models, configs, evaluation results, training logs, tables,
 * figures, and any record), as notebooks and reports show them. {@link #html(Object)} picks the summary by type;
 * a type the library adds later renders by implementing {@link HtmlRenderable}, or as a record (one row per
 * component, tables and figures inside drawn as such).
 */
public final class Summaries {
    /** Rows shown of the per-item tables inside evaluation summaries. */
    public static final int ITEM_ROWS = 10;

    private Summaries() {
    }

    /**
     * The HTML summary of {@code value}, or null when there is no rule for its type: {@link HtmlRenderable}, Tablesaw
     * {@link Table}, {@link Figure}, {@link Model}, {@link ModelConfig}, {@link LmLoss.Result},
     * {@link WinograndeResult}, {@link MultipleChoiceResult}, {@link TrainingLog}, and records of package
     * {@code org.minitron4j}.
     */
    public static @Nullable String html(Object value) {
        if (value instanceof HtmlRenderable r) {
            return r.toHtml();
        }
        if (value instanceof Table t) {
            return Html.table(t);
        }
        if (value instanceof Figure f) {
            return Html.figure(f);
        }
        if (value instanceof Model m) {
            return model(m);
        }
        if (value instanceof ModelConfig c) {
            return config(c, c.parameterCount());
        }
        if (value instanceof LmLoss.Result r) {
            return lmLoss(r);
        }
        if (value instanceof WinograndeResult r) {
            return winogrande(r);
        }
        if (value instanceof MultipleChoiceResult r) {
            return multipleChoice(r);
        }
        if (value instanceof TrainingLog log) {
            return trainingLog(log);
        }
        if (value instanceof Record r && value.getClass().getName().startsWith("org.minitron4j.")) {
            return record(r);
        }
        return null;
    }

    /** Whether {@link #html(Object)} has a rule for {@code value}. */
    public static boolean supports(Object value) {
        return value instanceof HtmlRenderable || value instanceof Table || value instanceof Figure
                || value instanceof Model || value instanceof ModelConfig || value instanceof LmLoss.Result
                || value instanceof WinograndeResult || value instanceof MultipleChoiceResult
                || value instanceof TrainingLog
                || (value instanceof Record && value.getClass().getName().startsWith("org.minitron4j."));
    }

    /** A model: its config's shape, exact parameter count and device. */
    public static String model(Model model) {
        Map<String, Object> rows = configRows(model.config(), model.parameterCount());
        rows.put("device", model.device().toString());
        return keyValues("Model", rows);
    }

    /** A config's shape with {@code parameters} (e.g. {@link ModelConfig#parameterCount()}). */
    public static String config(ModelConfig config, long parameters) {
        return keyValues("ModelConfig", configRows(config, parameters));
    }

    private static Map<String, Object> configRows(ModelConfig c, long parameters) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("architecture", c.architecture());
        rows.put("parameters", count(parameters) + " (" + parameters + ")");
        rows.put("numLayers", c.numLayers());
        rows.put("hiddenSize", c.hiddenSize());
        rows.put("intermediateSize", c.intermediateSize());
        rows.put("numAttentionHeads", c.numAttentionHeads());
        rows.put("numKeyValueHeads", c.numKeyValueHeads());
        rows.put("headDim", c.headDim());
        rows.put("vocabSize", c.vocabSize());
        rows.put("maxPositionEmbeddings", c.maxPositionEmbeddings());
        rows.put("tieWordEmbeddings", c.tieWordEmbeddings());
        return rows;
    }

    /** LM loss, perplexity and the number of predicted tokens. */
    public static String lmLoss(LmLoss.Result r) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("loss (nats/token)", fixed(r.loss(), 4));
        rows.put("perplexity", fixed(r.perplexity(), 3));
        rows.put("tokens", r.tokens());
        return keyValues("LM loss", rows);
    }

    /** Accuracy ± standard error over n items, then the first {@value #ITEM_ROWS} items. */
    public static String winogrande(WinograndeResult r) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("acc", fixed(r.acc(), 4) + " \u00b1 " + fixed(r.accStderr(), 4));
        rows.put("n", r.n());
        return keyValues("Winogrande", rows) + (r.items() == null ? "" : Html.table(r.items(), ITEM_ROWS));
    }

    /** acc, acc_norm and acc_bytes with standard errors, then the first {@value #ITEM_ROWS} items. */
    public static String multipleChoice(MultipleChoiceResult r) {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("acc", fixed(r.acc(), 4) + " \u00b1 " + fixed(r.accStderr(), 4));
        rows.put("acc_norm", fixed(r.accNorm(), 4) + " \u00b1 " + fixed(r.accNormStderr(), 4));
        rows.put("acc_bytes", fixed(r.accBytes(), 4) + " \u00b1 " + fixed(r.accBytesStderr(), 4));
        rows.put("n", r.n());
        return keyValues("Multiple choice", rows) + (r.items() == null ? "" : Html.table(r.items(), ITEM_ROWS));
    }

    /** The training curves (when the log has a loss or α column) and the last logged rows. */
    public static String trainingLog(TrainingLog log) {
        Table t = log.table();
        StringBuilder sb = new StringBuilder();
        boolean plottable = t.columnNames().stream().anyMatch(n -> n.toLowerCase().contains("loss")
                || n.toLowerCase().startsWith("alpha"));
        if (t.rowCount() > 0 && plottable) {
            sb.append(Html.figure(Figures.trainingCurves(t)));
        }
        int tail = Math.min(t.rowCount(), 5);
        Table last = t.rowCount() == 0 ? t : t.inRange(t.rowCount() - tail, t.rowCount());
        last.setName("training log: last " + tail + " of " + t.rowCount() + " logged steps");
        return sb.append(Html.table(last, tail)).toString();
    }

    /**
     * A record as a two-column table (component, value): tables inside are shown paged, figures drawn, values with
     * their own summary rendered by it, anything else as text.
     */
    public static String record(Record r) {
        StringBuilder nested = new StringBuilder();
        Map<String, Object> rows = new LinkedHashMap<>();
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(r);
            } catch (ReflectiveOperationException e) {
                v = "(unreadable: " + e.getMessage() + ")";
            }
            if (v instanceof Table || v instanceof Figure || v instanceof HtmlRenderable || v instanceof Model
                    || v instanceof TrainingLog) {
                rows.put(c.getName(), "(below)");
                nested.append("<div><b>").append(Html.escape(c.getName())).append("</b></div>\n").append(html(v));
            } else {
                rows.put(c.getName(), v instanceof Double d ? Html.number(d) : v);
            }
        }
        return keyValues(r.getClass().getSimpleName(), rows) + nested;
    }

    /** A titled two-column table of names and values (values shown with {@code String.valueOf}). */
    public static String keyValues(String title, Map<String, ?> rows) {
        StringBuilder sb = new StringBuilder("<div class=\"m4j-summary\">\n<table style=\"border-collapse:collapse\">\n");
        sb.append("<caption style=\"text-align:left\"><b>").append(Html.escape(title)).append("</b></caption>\n");
        rows.forEach((k, v) -> sb.append("<tr><td style=\"text-align:left;padding:2px 12px 2px 0\">").append(Html.escape(k))
                .append("</td><td style=\"text-align:left;padding:2px 0;font-family:monospace\">")
                .append(Html.escape(String.valueOf(v))).append("</td></tr>\n"));
        return sb.append("</table>\n</div>\n").toString();
    }

    /** A count with a K/M/B suffix and 3 significant digits: 1234567 → "1.23M". */
    public static String count(long n) {
        long a = Math.abs(n);
        if (a < 1_000) {
            return Long.toString(n);
        }
        String[] units = {"K", "M", "B", "T"};
        double v = n;
        int u = -1;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        String digits = Math.abs(v) >= 100 ? fixed(v, 0) : Math.abs(v) >= 10 ? fixed(v, 1) : fixed(v, 2);
        return digits + units[u];
    }

    private static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
