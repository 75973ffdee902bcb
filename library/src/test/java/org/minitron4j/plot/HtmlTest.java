package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.minitron4j.html.Fragments;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
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
        String page = Html.page("tables only", Fragments.table(Table.create("t", IntColumn.create("a", new int[] {1}))));
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
}
