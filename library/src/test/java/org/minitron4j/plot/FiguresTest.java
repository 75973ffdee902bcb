package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.plotly.components.Figure;

class FiguresTest {

    private static String js(Figure f) {
        return f.asJavascript("div0").replaceAll("\\s+", "");
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void headHeatmapPutsLayersInRowsAndHeadsInColumns() {
        Table t = Table.create("heads", IntColumn.create("layer", 1, 0, 0, 1), IntColumn.create("index", 0, 1, 0, 1),
                DoubleColumn.create("score", 2.5, 1.5, 0.5, 3.5));
        String js = js(Figures.headHeatmap(t));
        assertTrue(js.contains("type:'heatmap'"), js);
        assertTrue(js.contains("z:[[0.5,1.5,],[2.5,3.5,],]"), js); // rows = layers 0, 1; columns = heads 0, 1
        assertTrue(js.contains("title:'head'") && js.contains("title:'layer'"), js);
    }

    @Test
    void headHeatmapRejectsSeveralRowsForOneHead() {
        Table t = Table.create("heads", IntColumn.create("layer", 0, 0), IntColumn.create("index", 1, 1),
                DoubleColumn.create("score", 1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Figures.headHeatmap(t));
        assertTrue(e.getMessage().contains("several rows for layer 0, index 1"), e.getMessage());
    }

    @Test
    void missingColumnNamesTheColumnsPresent() {
        Table t = Table.create("heads", IntColumn.create("layer", new int[] {0}), DoubleColumn.create("importance", 1.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Figures.headHeatmap(t));
        assertEquals("table 'heads' has no column 'index' (columns: [layer, importance])", e.getMessage());
    }

    @Test
    void scoreHistogramHasOneTracePerGroup() {
        Table t = Table.create("scores", StringColumn.create("component", "head", "head", "neuron"),
                DoubleColumn.create("score", 1, 2, 3));
        String one = js(Figures.scoreHistogram(t));
        assertEquals(1, count(one, "type:'histogram'"), one);
        assertTrue(one.contains("x:[\"1.0\",\"2.0\",\"3.0\"]") || one.contains("x:[1.0,2.0,3.0]"), one);
        String grouped = js(Figures.scoreHistogram(t, "score", "component"));
        assertEquals(2, count(grouped, "type:'histogram'"), grouped);
        assertTrue(grouped.contains("name:'head'") && grouped.contains("name:'neuron'"), grouped);
    }

    @Test
    void depthCurvesPlotEveryNumericColumnAgainstLayerByDefault() {
        Table t = Table.create("depth", IntColumn.create("layer", 0, 1, 2), DoubleColumn.create("cosine", .9, .5, .7),
                DoubleColumn.create("lm_loss", 3, 4, 5), StringColumn.create("note", "a", "b", "c"));
        String js = js(Figures.depthCurves(t));
        assertEquals(2, count(js, "type:'scatter'"), js);
        assertTrue(js.contains("name:'cosine'") && js.contains("name:'lm_loss'"), js);
        assertTrue(js.contains("y:[\"0.9\",\"0.5\",\"0.7\"]"), js);
        assertEquals(1, count(js(Figures.depthCurves(t, "layer", "cosine")), "type:'scatter'"));
        assertEquals(1, count(js(Figures.depthCurves(t, "layer", List.of("lm_loss"))), "type:'scatter'"));
    }

    @Test
    void blockGridLeavesUntestedCombinationsBlank() {
        Table t = Table.create("blocks", IntColumn.create("start", 0, 1, 0), IntColumn.create("length", 1, 1, 2),
                DoubleColumn.create("score", 3.1, 3.2, 4.0));
        String js = js(Figures.blockGrid(t));
        assertTrue(js.contains("type:'heatmap'"), js);
        assertTrue(js.contains("z:[[3.1,3.2,],[4.0,NaN,],]"), js); // rows = length 1, 2; columns = start 0, 1
    }

    @Test
    void trainingCurvesPutLossesLeftAndAlphaRightSkippingNaN() {
        Table t = Table.create("log", IntColumn.create("step", 1, 2, 3), DoubleColumn.create("loss", 3, 2, 1),
                DoubleColumn.create("val_loss", Double.NaN, 2.5, Double.NaN), DoubleColumn.create("alpha", .5, .5, .6),
                DoubleColumn.create("lr", 1e-3, 1e-3, 1e-3));
        String js = js(Figures.trainingCurves(t));
        assertEquals(3, count(js, "type:'scatter'"), js);
        assertTrue(js.contains("x:[\"2.0\"],y:[\"2.5\"]"), js); // val_loss: the one measured step
        assertTrue(js.contains("yaxis:'y2',type:'scatter',name:'alpha'"), js);
        assertTrue(js.contains("overlaying:'y'"), js);
        assertTrue(!js.contains("name:'lr'"), js);
    }

    @Test
    void trainingCurvesWithoutLossOrAlphaFailsWithTheColumns() {
        Table t = Table.create("log", IntColumn.create("step", new int[] {1}), DoubleColumn.create("lr", 1e-3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Figures.trainingCurves(t));
        assertTrue(e.getMessage().contains("[step, lr]"), e.getMessage());
    }

    @Test
    void versusParametersNamesEachModelInTheLegendWithItsRoleAndTitlesAxesWithUnits() {
        Table t = Table.create("models", StringColumn.create("model", "teacher", "width-50%", "depth-50%"),
                DoubleColumn.create("parameters", 4e6, 2e6, 2.1e6), DoubleColumn.create("lm_loss", .8, .7, .6),
                StringColumn.create("role", "teacher", "student", "student"));
        String js = js(Figures.versusParameters(t, "lm_loss"));
        // one trace per model: no labels drawn over each other on the plot, none cut at its edges
        assertEquals(3, count(js, "type:'scatter'"), js);
        assertTrue(js.contains("mode:'markers'") && !js.contains("markers+text"), js);
        assertTrue(js.contains("name:'width-50%(student)'") && js.contains("name:'teacher(teacher)'"), js);
        assertTrue(js.contains("showlegend:true"), js);
        assertTrue(js.contains("title:'LMloss(nats/token)'"), js); // js() drops whitespace
    }

    @Test
    void leaderboardSortsBestFirstAndKeepsTop() {
        Table t = Table.create("nas", StringColumn.create("candidate", "a", "b", "c"),
                DoubleColumn.create("score", 0.2, 0.9, 0.5));
        String js = js(Figures.leaderboard(t, "candidate", "score", 2, true));
        assertTrue(js.contains("type:'bar'"), js);
        assertTrue(js.contains("x:[\"b\",\"c\"]"), js);
        String lowest = js(Figures.leaderboard(t, "candidate", "score", 1, false));
        assertTrue(lowest.contains("x:[\"a\"]"), lowest);
    }

    @Test
    void quotesInLabelsCannotBreakTheScript() {
        Table t = Table.create("nas", StringColumn.create("candidate", "it's"), DoubleColumn.create("score", 1.0));
        String js = js(Figures.leaderboard(t));
        assertTrue(!js.contains("it's"), js);
    }
}
