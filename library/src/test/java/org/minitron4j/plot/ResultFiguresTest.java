package org.minitron4j.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.minitron4j.experiment.Leaderboard;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.train.TrainingLog;
import org.minitron4j.train.TrainingLogs;
import tech.tablesaw.plotly.components.Figure;

/** The figure overloads that take the library's results (scores, several logs, a leaderboard) instead of tables. */
class ResultFiguresTest {
    /** 2 layers, hidden 16, ffn 10, 2 heads of 8. */
    static final ModelConfig C = ModelConfig.llama(64, 16, 10, 2, 2, 2);

    private static String js(Figure f) {
        return f.asJavascript("div0").replaceAll("\\s+", "");
    }

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    /** Heads of layer l score 10·l + h; neuron i of layer l scores (l + 1)·i. */
    static ImportanceScores scores() {
        double[][] heads = {{0, 1}, {10, 11}};
        double[][] neurons = new double[2][];
        for (int l = 0; l < 2; l++) {
            int f = l + 1;
            neurons[l] = IntStream.range(0, 10).mapToDouble(i -> f * i).toArray();
        }
        return new ImportanceScores(C, Aggregation.PAPER, MlpVariant.PAPER, heads, neurons, new double[16], new double[2]);
    }

    @Test
    void headHeatmapFromScoresPutsLayersInRowsAndHeadsInColumns() {
        String js = js(Figures.headHeatmap(scores()));
        assertTrue(js.contains("type:'heatmap'"), js);
        assertTrue(js.contains("z:[[0.0,1.0,],[10.0,11.0,],]"), js);
        assertTrue(js.contains("title:'head'") && js.contains("title:'layer'"), js);
        assertTrue(js.contains(Aggregation.PAPER.label()), "titled with the aggregation: " + js);
    }

    @Test
    void neuronHeatmapAveragesContiguousBuckets() {
        // ffn 10 in 3 buckets: neurons 0-2, 3-5, 6-9; means of i: 1, 4, 7.5 (layer 0) and of 2i: 2, 8, 15 (layer 1)
        String js = js(Figures.neuronHeatmap(scores(), 3));
        assertTrue(js.contains("z:[[1.0,4.0,7.5,],[2.0,8.0,15.0,],]"), js);
        assertTrue(js.contains("title:'firstneuronofbucket'"), js);
        String every = js(Figures.neuronHeatmap(scores()));
        assertTrue(every.contains("z:[[0.0,1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0,9.0,],"), "64 buckets ≥ ffn: one column per neuron " + every);
        assertThrows(IllegalArgumentException.class, () -> Figures.neuronHeatmap(scores(), 0));
    }

    static Map<String, TrainingLog> logs() {
        Map<String, TrainingLog> logs = new LinkedHashMap<>();
        logs.put("width", TrainingLogs.of(Map.of("loss", 3.0, "alpha", 0.5), Map.of("loss", 2.0, "val_loss", 2.5, "alpha", 0.5)));
        logs.put("depth", TrainingLogs.of(Map.of("loss", 4.0), Map.of("loss", 3.5), Map.of("loss", 3.0, "val_loss", 3.25)));
        return logs;
    }

    @Test
    void severalTrainingLogsOverlayEveryLossOfEveryRun() {
        String js = js(Figures.trainingCurves(logs()));
        assertEquals(4, count(js, "type:'scatter'"), js);
        for (String name : new String[] {"widthloss", "widthval_loss", "depthloss", "depthval_loss"}) {
            assertTrue(js.contains("name:'" + name + "'"), name + " in " + js);
        }
        assertTrue(!js.contains("alpha"), "α is not a loss: " + js);
        assertTrue(js.contains("x:[\"3.0\"],y:[\"3.25\"]"), "depth's one validation point: " + js);
    }

    @Test
    void severalTrainingLogsWithOneColumnAreNamedAfterTheRuns() {
        String js = js(Figures.trainingCurves(logs(), "val_loss"));
        assertEquals(2, count(js, "type:'scatter'"), js);
        assertTrue(js.contains("name:'width'") && js.contains("name:'depth'"), js);
        assertTrue(js.contains("x:[\"2.0\"],y:[\"2.5\"]"), js);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Figures.trainingCurves(logs(), "kd_loss"));
        assertTrue(e.getMessage().contains("'kd_loss'") && e.getMessage().contains("val_loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Figures.trainingCurves(new LinkedHashMap<String, TrainingLog>()));
    }

    static Leaderboard board() {
        Leaderboard b = new Leaderboard("results");
        b.add("teacher", "teacher", 4000L).metric("lm_loss", 2.0).metric("winogrande", 0.8);
        b.add("width", "distilled", 2000L).metric("lm_loss", 2.5);
        b.add("depth", "distilled", 2100L).metric("lm_loss", 3.0).metric("winogrande", 0.6);
        b.add("baseline", null).metric("lm_loss", 1.0).metric("winogrande", 0.9);
        return b;
    }

    @Test
    void versusParametersOfALeaderboardLeavesOutRowsWithoutTheMetricOrParameters() {
        String js = js(Figures.versusParameters(board(), "winogrande"));
        assertEquals(2, count(js, "type:'scatter'"), "one trace per measured model: " + js);
        assertTrue(js.contains("name:'teacher(teacher)'") && js.contains("name:'depth(distilled)'"), js); // no spaces in js()
        assertTrue(!js.contains("'width(") && !js.contains("baseline"), js);
        assertTrue(!js.contains("NaN"), js);
    }

    @Test
    void leaderboardOfALeaderboardRanksTheMeasuredRows() {
        String js = js(Figures.leaderboard(board(), "lm_loss", false));
        assertTrue(js.contains("x:[\"baseline\",\"teacher\",\"width\",\"depth\"]"), js);
        String wg = js(Figures.leaderboard(board(), "winogrande", true));
        assertTrue(wg.contains("x:[\"baseline\",\"teacher\",\"depth\"]"), wg);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Figures.leaderboard(board(), "arc", true));
        assertTrue(e.getMessage().contains("[lm_loss, winogrande]"), e.getMessage());
    }
}
