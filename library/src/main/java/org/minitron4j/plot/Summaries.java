package org.minitron4j.plot;

import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tech.tablesaw.api.Table;
import tech.tablesaw.plotly.components.Figure;

/**
 * The one way values of the library render as HTML, in notebooks and reports. {@link #html(Object)}: a value that
 * implements {@link HtmlRenderable} (every result type of the library: models, configs, statistics, scores, reports,
 * evaluation results, training logs) gives its own compact summary; Tablesaw {@link Table}s and {@link Figure}s, which
 * cannot implement it, render through {@link Html}; any other value of the library falls back to a summary of its
 * record components, or its class name and {@code toString} (never {@code ClassName@hash}). The helpers below build
 * the summaries: titled key/value tables, counts, fixed decimals, and collapsed index lists.
 */
public final class Summaries {
    /** Rows shown of the per-item tables inside evaluation summaries. */
    public static final int ITEM_ROWS = 10;
    /** Elements shown of a long list or array before the rest is counted ("… 4,090 more"). */
    public static final int LIST_PREVIEW = 6;

    private Summaries() {
    }

    /**
     * The HTML summary of {@code value}, or null for a value outside the library that is neither a {@link Table} nor a
     * {@link Figure} (a string, a number: the notebook shows those itself).
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
        if (!ofTheLibrary(value)) {
            return null;
        }
        if (value instanceof Record r) {
            return record(r);
        }
        return keyValues(value.getClass().getSimpleName(),
                overridesToString(value) ? Map.of("value", value.toString()) : Map.of());
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
     * A record as a two-column table (component, value): tables inside are shown paged, figures drawn, values with
     * their own summary rendered by it, anything else as {@link #text}.
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
                nested.append("<div><b>").append(Html.escape(c.getName())).append("</b></div>\n").append(html(v));
            } else {
                rows.put(c.getName(), text(v));
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

    /** {@code v} with {@code decimals} digits after the point: fixed(2.0, 4) → "2.0000". */
    public static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /**
     * A value as one short line of text: a double as {@link Html#number}, an array or collection as its first {@value
     * #LIST_PREVIEW} elements and a count of the rest, an object without its own {@code toString} as its class name.
     */
    public static String text(@Nullable Object v) {
        return v instanceof Double d ? Html.number(d) : plain(v);
    }

    private static String plain(@Nullable Object v) {
        if (v != null && v.getClass().isArray()) {
            return preview(Array.getLength(v), i -> Array.get(v, i));
        }
        if (v instanceof Collection<?> c) {
            Object[] elements = c.toArray();
            return preview(elements.length, i -> elements[i]);
        }
        return v == null || overridesToString(v) ? String.valueOf(v) : v.getClass().getSimpleName();
    }

    // "[a, b, c]" as a List prints it, with the elements past the first LIST_PREVIEW counted instead
    private static String preview(int n, IntFunction<Object> element) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int i = 0; i < Math.min(n, LIST_PREVIEW); i++) {
            j.add(plain(element.apply(i)));
        }
        if (n > LIST_PREVIEW) {
            j.add(String.format(Locale.ROOT, "\u2026 %,d more", n - LIST_PREVIEW));
        }
        return j.toString();
    }

    private static boolean overridesToString(Object v) {
        try {
            return v.getClass().getMethod("toString").getDeclaringClass() != Object.class;
        } catch (NoSuchMethodException e) {
            return false; // every class has toString
        }
    }
}
