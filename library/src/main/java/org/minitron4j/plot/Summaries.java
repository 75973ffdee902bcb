package org.minitron4j.plot;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.train.TrainingLog;
import tech.tablesaw.api.Table;
import tech.tablesaw.plotly.components.Figure;

/**
 * The one way values of the library render as HTML, in notebooks and reports. {@link #html(Object)}: a value that
 * implements {@link HtmlRenderable} (every result type of the library: models, configs, statistics, scores, reports,
 * evaluation results, training logs) gives its own compact summary, a {@link TrainingLog}'s headed by its training
 * curves; Tablesaw {@link Table}s render through {@link Fragments#table(Table)} and {@link Figure}s through
 * {@link Html#figure(Figure)}; any other value of the library falls back to a summary of its record components, or
 * its class name and {@code toString} (never {@code ClassName@hash}). The summaries are built from {@link Fragments}.
 */
public final class Summaries {
    private Summaries() {
    }

    /**
     * The HTML summary of {@code value}, or null for a value outside the library that is neither a {@link Table} nor a
     * {@link Figure} (a string, a number: the notebook shows those itself).
     */
    public static @Nullable String html(Object value) {
        if (value instanceof TrainingLog log) {
            return trainingLog(log);
        }
        if (value instanceof HtmlRenderable r) {
            return r.toHtml();
        }
        if (value instanceof Table t) {
            return Fragments.table(t);
        }
        if (value instanceof Figure f) {
            return Html.figure(f);
        }
        if (!ofTheLibrary(value)) {
            return null;
        }
        if (value instanceof Record r) {
            return record(r);
        }
        return Fragments.keyValues(value.getClass().getSimpleName(),
                Fragments.overridesToString(value) ? Map.of("value", value.toString()) : Map.of());
    }

    /** Whether {@link #html(Object)} gives {@code value} a summary. */
    public static boolean supports(Object value) {
        return value instanceof HtmlRenderable || value instanceof Table || value instanceof Figure || ofTheLibrary(value);
    }

    // enums print their names, which the notebook shows as it is
    private static boolean ofTheLibrary(Object value) {
        return value.getClass().getName().startsWith("org.minitron4j.") && !(value instanceof Enum);
    }

    /**
     * The training curves of {@code log} (when it has a loss or α column, see {@link Figures#trainingCurves(Table)}),
     * then its own summary, the last logged rows. The curves are drawn here because figures are this package's:
     * {@code train} renders its log without importing {@code plot}.
     */
    public static String trainingLog(TrainingLog log) {
        Table t = log.table();
        boolean plottable = t.columnNames().stream().anyMatch(n -> n.toLowerCase().contains("loss")
                || n.toLowerCase().startsWith("alpha"));
        return (t.rowCount() > 0 && plottable ? Html.figure(Figures.trainingCurves(t)) : "") + log.toHtml();
    }

    /**
     * A record as a two-column table (component, value): tables inside are shown paged, figures drawn, values with
     * their own summary rendered by it, anything else as {@link Fragments#text}.
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
            if (v instanceof Table || v instanceof Figure || v instanceof HtmlRenderable) {
                rows.put(c.getName(), "(below)");
                nested.append("<div><b>").append(Fragments.escape(c.getName())).append("</b></div>\n").append(html(v));
            } else {
                rows.put(c.getName(), Fragments.text(v));
            }
        }
        return Fragments.keyValues(r.getClass().getSimpleName(), rows) + nested;
    }
}
