package org.minitron4j.html;

import java.lang.reflect.Array;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * The pieces {@link HtmlRenderable} summaries are built from: escaped text, titled key/value tables, counts, fixed
 * decimals, values as one short line with long lists and arrays collapsed, and Tablesaw tables shown paged. Figures and
 * pages are {@code org.minitron4j.plot}'s.
 */
public final class Fragments {
    /** Rows shown by {@link #table(Table)}. */
    public static final int DEFAULT_MAX_ROWS = 20;
    /** Rows shown of the per-item tables inside evaluation summaries. */
    public static final int ITEM_ROWS = 10;
    /** Elements shown of a long list or array before the rest is counted ("… 4,090 more"). */
    public static final int LIST_PREVIEW = 6;

    private Fragments() {
    }

    /** Escapes {@code & < > " '} for HTML text and attribute values. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** A titled two-column table of names and values (values shown with {@code String.valueOf}). */
    public static String keyValues(String title, Map<String, ?> rows) {
        StringBuilder sb = new StringBuilder("<div class=\"m4j-summary\">\n<table style=\"border-collapse:collapse\">\n");
        sb.append("<caption style=\"text-align:left\"><b>").append(escape(title)).append("</b></caption>\n");
        rows.forEach((k, v) -> sb.append("<tr><td style=\"text-align:left;padding:2px 12px 2px 0\">").append(escape(k))
                .append("</td><td style=\"text-align:left;padding:2px 0;font-family:monospace\">")
                .append(escape(String.valueOf(v))).append("</td></tr>\n"));
        return sb.append("</table>\n</div>\n").toString();
    }

    /** The first {@value #DEFAULT_MAX_ROWS} rows of {@code table} as an HTML table, with its name and size. */
    public static String table(Table table) {
        return table(table, DEFAULT_MAX_ROWS);
    }

    /**
     * The first {@code maxRows} rows of {@code table} as an HTML table, captioned with its name and size, followed by
     * "… k more rows" when rows were left out. Doubles show 6 significant digits.
     */
    public static String table(Table table, int maxRows) {
        if (maxRows < 0) {
            throw new IllegalArgumentException("maxRows must be >= 0, got " + maxRows);
        }
        int rows = table.rowCount();
        int shown = Math.min(rows, maxRows);
        StringBuilder sb = new StringBuilder("<div class=\"m4j-table\">\n<table style=\"border-collapse:collapse\">\n");
        sb.append("<caption style=\"text-align:left\"><b>").append(escape(table.name() == null ? "table" : table.name()))
                .append("</b> (").append(rows).append(rows == 1 ? " row, " : " rows, ")
                .append(table.columnCount()).append(table.columnCount() == 1 ? " column)" : " columns)")
                .append("</caption>\n<thead><tr>");
        for (Column<?> c : table.columns()) {
            sb.append("<th style=\"text-align:right;padding:2px 8px\">").append(escape(c.name())).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (int r = 0; r < shown; r++) {
            sb.append("<tr>");
            for (Column<?> c : table.columns()) {
                sb.append("<td style=\"text-align:right;padding:2px 8px\">").append(escape(cell(c, r))).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody>\n</table>\n");
        if (shown < rows) {
            int more = rows - shown;
            sb.append("<div class=\"m4j-more\">\u2026 ").append(more).append(more == 1 ? " more row" : " more rows")
                    .append("</div>\n");
        }
        return sb.append("</div>\n").toString();
    }

    private static String cell(Column<?> c, int row) {
        if (c.isMissing(row)) {
            return "";
        }
        Object v = c.get(row);
        if (v instanceof Double d) {
            return number(d);
        }
        if (v instanceof Float f) {
            return number(f);
        }
        return String.valueOf(v);
    }

    /** A number with 6 significant digits and no exponent for moderate magnitudes, as tables show it. */
    public static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String s = String.format(Locale.ROOT, "%.6g", v);
        if (s.contains("e")) {
            return s;
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
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
     * A value as one short line of text: a double as {@link #number}, an array or collection as its first {@value
     * #LIST_PREVIEW} elements and a count of the rest, an object without its own {@code toString} as its class name.
     */
    public static String text(@Nullable Object v) {
        return v instanceof Double d ? number(d) : plain(v);
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

    /** Whether {@code v}'s class declares (or inherits from a class other than {@code Object}) its own toString. */
    public static boolean overridesToString(Object v) {
        try {
            return v.getClass().getMethod("toString").getDeclaringClass() != Object.class;
        } catch (NoSuchMethodException e) {
            return false; // every class has toString
        }
    }
}
