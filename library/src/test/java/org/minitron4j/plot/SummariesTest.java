package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.train.TrainingLogs;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class SummariesTest {

    /** Stands in for results other packages will add (e.g. a prune report). */
    public record Report(String name, double ratio, Table kept) {
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void configSummaryShowsShapeAndParameterCount() {
        ModelConfig c = ModelConfig.llama(262, 192, 512, 6, 8, 2);
        String html = Summaries.html(c);
        assertTrue(html.contains(">numLayers</td><td") && html.contains(">6</td>"), html);
        assertTrue(html.contains(Summaries.count(c.parameterCount()) + " (" + c.parameterCount() + ")"), html);
    }

    @Test
    void lmLossSummaryShowsLossPerplexityAndTokens() {
        String html = Summaries.html(new LmLoss.Result(2.0, Math.exp(2.0), 1234));
        assertTrue(html.contains(">2.0000<") && html.contains(">7.389<") && html.contains(">1234<"), html);
    }

    @Test
    void winograndeSummaryShowsAccuracyWithStderrAndPagedItems() {
        int n = 15;
        int[] gold = new int[n];
        java.util.Arrays.fill(gold, 1);
        Table items = Table.create("items", IntColumn.create("gold", gold));
        String html = Summaries.html(new WinograndeResult(0.6, 0.1265, n, items));
        assertTrue(html.contains("0.6000 \u00b1 0.1265"), html);
        assertEquals(Summaries.ITEM_ROWS, count(html, "<tr><td style=\"text-align:right"));
        assertTrue(html.contains("5 more rows"), html);
    }

    @Test
    void trainingLogSummaryDrawsCurvesAndShowsTheLastSteps() {
        Map<String, Double> row = Map.of("loss", 3.0, "lr", 1e-3);
        String html = Summaries.html(TrainingLogs.of(row, row, row, row, row, row, row));
        assertEquals(1, count(html, "class=\"m4j-figure\""));
        assertTrue(html.contains("last 5 of 7 logged steps"), html);
    }

    @Test
    void libraryRecordsRenderComponentByComponentWithTablesInline() {
        Table kept = Table.create("kept", IntColumn.create("index", 3, 1), StringColumn.create("what", "a", "b"));
        String html = Summaries.html(new Report("width", 0.5, kept));
        assertTrue(html.contains("<b>Report</b>") && html.contains(">ratio</td>") && html.contains(">0.5</td>"), html);
        assertTrue(html.contains("<b>kept</b> (2 rows, 2 columns)"), html);
    }

    @Test
    void htmlRenderableWinsAndUnknownTypesAreLeftAlone() {
        HtmlRenderable own = () -> "<i>mine</i>";
        assertEquals("<i>mine</i>", Summaries.html(own));
        assertTrue(Summaries.supports(own));
        assertNull(Summaries.html("a string"));
        assertFalse(Summaries.supports(42));
    }

    @Test
    void tablesAndFiguresRenderThroughHtml() {
        Table t = Table.create("t", IntColumn.create("layer", 0, 1), DoubleColumn.create("v", 1, 2));
        assertEquals(Html.table(t), Summaries.html(t));
        assertTrue(Summaries.html(Figures.depthCurves(t)).startsWith("<div class=\"m4j-figure\""));
    }

    @Test
    void countsUseThreeSignificantDigits() {
        assertEquals("999", Summaries.count(999));
        assertEquals("1.23K", Summaries.count(1234));
        assertEquals("28.8K", Summaries.count(28832));
        assertEquals("2.43M", Summaries.count(2_425_536));
        assertEquals("8.03B", Summaries.count(8_030_000_000L));
    }
}
