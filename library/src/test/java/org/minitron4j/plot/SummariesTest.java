package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.PruneOptions;
import org.minitron4j.prune.PrunePlan;
import org.minitron4j.prune.PruneReport;
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
        assertTrue(html.contains(Fragments.count(c.parameterCount()) + " (" + c.parameterCount() + ")"), html);
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
        assertEquals(Fragments.ITEM_ROWS, count(html, "<tr><td style=\"text-align:right"));
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
        assertEquals(Fragments.table(t), Summaries.html(t));
        assertTrue(Summaries.html(Figures.depthCurves(t)).startsWith("<div class=\"m4j-figure\""));
    }

    /** A value of the library with neither a summary of its own nor a toString. */
    static final class Opaque {
    }

    /** A record whose component holds many indices. */
    public record Kept(int[] indices) {
    }

    @Test
    void libraryValuesWithoutASummaryShowTheirClassNameNeverAHash() {
        String html = Summaries.html(new Opaque());
        assertTrue(html.contains("<b>Opaque</b>") && !html.contains("@"), html);
        assertTrue(Summaries.supports(new Opaque()));
    }

    @Test
    void longArraysInsideRecordsAreCollapsedToTheirFirstElements() {
        String html = Summaries.html(new Kept(IntStream.range(0, 100).toArray()));
        assertTrue(html.contains("[0, 1, 2, 3, 4, 5, \u2026 94 more]"), html);
        assertEquals("[1, 2]", Fragments.text(List.of(1, 2)), "a short list prints as List does");
    }

    @Test
    void importanceScoresSummaryNamesTheAggregationAndPreviewsEachRanking() {
        ModelConfig c = ModelConfig.llama(262, 192, 512, 6, 8, 2);
        double[][] heads = new double[6][8], neurons = new double[6][512];
        double[] channels = new double[192], layers = {0.1, 0.5, 0.2, 0.9, 0.3, 0.4};
        neurons[0][7] = 1.0; // the most important neuron of layer 0 comes first
        ImportanceScores s = new ImportanceScores(c, Aggregation.PAPER, MlpVariant.PAPER, heads, neurons, channels, layers);
        String html = Summaries.html(s);
        assertTrue(html.contains("<b>ImportanceScores</b>") && html.contains(Aggregation.PAPER.label()), html);
        assertTrue(html.contains("[3, 1, 5, 4, 2, 0]"), "layers by descending score: " + html);
        assertTrue(html.contains("[7, 0, 1, 2, 3, 4, \u2026 506 more]"), html);
        assertTrue(html.length() < 3_000, "compact: " + html.length() + " characters");
    }

    @Test
    void pruneReportSummaryShowsTheConfigDiffAndKeptCountsWithIndicesCollapsed() {
        ModelConfig before = ModelConfig.llama(262, 192, 512, 6, 8, 2);
        ModelConfig after = before.withIntermediateSize(256).withNumLayers(5);
        List<Integer> layers = List.of(0, 1, 2, 4, 5);
        Map<Integer, List<Integer>> heads = new java.util.LinkedHashMap<>(), groups = new java.util.LinkedHashMap<>(),
                neurons = new java.util.LinkedHashMap<>();
        for (int l : layers) {
            heads.put(l, IntStream.range(0, 8).boxed().toList());
            groups.put(l, List.of(0, 1));
            neurons.put(l, IntStream.range(0, 256).boxed().toList());
        }
        PruneReport r = new PruneReport(PrunePlan.builder().intermediateSize(256).numLayers(5).build(),
                PruneOptions.defaults(), before, after, before.parameterCount(), after.parameterCount(), layers,
                IntStream.range(0, 192).boxed().toList(), heads, groups, neurons, List.of());
        String html = Summaries.html(r);
        assertTrue(html.contains(">intermediate_size</td>") && html.contains(">512 \u2192 256</td>"), html);
        assertTrue(html.contains(">num_hidden_layers</td>") && html.contains(">6 \u2192 5</td>"), html);
        assertTrue(html.contains("5 of 6: [0, 1, 2, 4, 5]"), html);
        assertTrue(html.contains("256 of 512 in each of 5 layers"), html);
        assertTrue(html.length() < 3_000, "indices collapsed: " + html.length() + " characters");
    }
}
