package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.plotly.components.Figure;

class HtmlTest {
    private static final String PLOTLY_BANNER = "plotly.js v1.54.1";

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    private static Figure figure() {
        return Figures.depthCurves(Table.create("d", IntColumn.create("layer", 0, 1), DoubleColumn.create("v", 1.5, 2.5)));
    }

    @Test
    void pageEmbedsPlotlyExactlyOnceForSeveralFigures() {
        String page = Html.page("report", Html.figure(figure()), Html.figure(figure()), Html.figure(figure()));
        assertEquals(1, count(page, PLOTLY_BANNER));
        assertEquals(3, count(page, "class=\"m4j-figure\""));
        assertEquals(3, count(page, "Plotly.newPlot("));
        assertFalse(page.contains("<script src="), "nothing loaded from the network");
        assertTrue(page.indexOf(PLOTLY_BANNER) < page.indexOf("class=\"m4j-figure\""));
    }

    @Test
    void pageWithoutFiguresCarriesNoPlotly() {
        String page = Html.page("tables only", Html.table(Table.create("t", IntColumn.create("a", new int[] {1}))));
        assertEquals(0, count(page, PLOTLY_BANNER));
        assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("<title>tables only</title>"));
    }

    @Test
    void figureDrawsIntoItsOwnDivWithLocalVariables() {
        String html = Html.figure(figure(), "fig_1");
        assertTrue(html.startsWith("<div class=\"m4j-figure\" id=\"fig_1\""), html);
        assertTrue(html.contains("(function () {") && html.contains("Plotly.newPlot(target_fig_1"), html);
        assertEquals(1, count(html, "<script>")); // tablesaw's own script tag is unwrapped into ours
        assertTrue(html.contains("if (window.Plotly) { draw(); return; }"), html);
    }

    @Test
    void figureIdsAreUniqueAndValidated() {
        assertFalse(Html.newId().equals(Html.newId()));
        assertThrows(IllegalArgumentException.class, () -> Html.figure(figure(), "bad-id"));
    }

    @Test
    void plotlyScriptDefinesPlotlyOnlyWhenAbsentAndHidesAmdLoaders() {
        String s = Html.plotlyScript();
        assertTrue(s.contains("if (typeof window.Plotly === 'undefined')"));
        assertTrue(s.contains("(function (define, module, exports, require) {"));
        assertEquals(1, count(s, PLOTLY_BANNER));
        assertEquals(1, count(s, "</script>")); // the library itself must not end the tag early
        assertTrue(Html.plotlyJs().length() > 3_000_000);
    }

    @Test
    void tableShowsFirstRowsAndCountsTheRest() {
        int[] ids = new int[25];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Table t = Table.create("scores", IntColumn.create("index", ids));
        String html = Html.table(t, 10);
        assertEquals(10, count(html, "<tr><td"));
        assertTrue(html.contains("<b>scores</b> (25 rows, 1 column)"), html);
        assertTrue(html.contains("\u2026 15 more rows"), html);
        assertTrue(html.contains(">9</td>") && !html.contains(">10</td>"), html);
        assertFalse(Html.table(t, 25).contains("more row"));
        assertEquals(Html.DEFAULT_MAX_ROWS, count(Html.table(t), "<tr><td"));
    }

    @Test
    void tableEscapesTextAndShortensDoubles() {
        Table t = Table.create("x<y", StringColumn.create("text", "<b>&'\""), DoubleColumn.create("v", 1.0 / 3));
        String html = Html.table(t);
        assertTrue(html.contains("&lt;b&gt;&amp;&#39;&quot;"), html);
        assertTrue(html.contains("<b>x&lt;y</b>"), html);
        assertTrue(html.contains(">0.333333</td>"), html);
    }

    @Test
    void numbersKeepSixSignificantDigits() {
        assertEquals("2", Html.number(2.0));
        assertEquals("0.125", Html.number(0.125));
        assertEquals("3.14159", Html.number(Math.PI));
        assertEquals("1.00000e-07", Html.number(1e-7));
        assertEquals("NaN", Html.number(Double.NaN));
    }
}
