package org.minitron4j.importance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.plot.Figures;
import org.minitron4j.plot.Summaries;
import tech.tablesaw.api.Table;

/** Block importance as tables, from cosine sums chosen here (no forward pass): 1 − Σcos / tokens per block. */
class LayerImportanceTableTest {
    static final ModelConfig C = ModelConfig.llama(64, 32, 48, 3, 4, 2);

    /**
     * One sample of 4 tokens. Pairs (s, e) in row-major upper-triangle order: (0,0) (0,1) (0,2) (1,1) (1,2) (2,2) with
     * cosine sums 2, 1, 0.4, 3, 2, 4: single layers BI 0.5, 0.25, 0; blocks 0-1 0.75, 1-2 0.5, 0-2 0.9.
     */
    static ActivationStats stats() {
        ActivationStats s = ActivationStats.empty(C, new ActivationStats.Settings(1, 4, null, 1), 1);
        s.addCosines(new double[] {2, 1, 0.4, 3, 2, 4}, 1, 4, new int[] {0});
        return s;
    }

    @Test
    void layerImportanceTableHasOneRowPerLayer() {
        Table t = stats().layerImportanceTable();
        assertEquals(List.of("layer", "bi"), t.columnNames());
        assertEquals(List.of(0, 1, 2), t.intColumn("layer").asList());
        assertEquals(List.of(0.5, 0.25, 0.0), t.doubleColumn("bi").asList());
    }

    @Test
    void blockImportanceTableAgreesWithTheCosineSums() {
        Table t = stats().blockImportanceTable();
        assertEquals(List.of("start", "length", "end", "bi"), t.columnNames());
        assertEquals(6, t.rowCount());
        // rows by length, then start: (0,1) (1,1) (2,1) (0,2) (1,2) (0,3)
        double[] expected = {0.5, 0.25, 0.0, 0.75, 0.5, 0.9};
        for (int r = 0; r < 6; r++) {
            assertEquals(expected[r], t.doubleColumn("bi").get(r), 1e-12, "row " + r);
        }
    }

    @Test
    void bothTablesRenderAndPlot() {
        ActivationStats s = stats();
        String layers = Summaries.html(s.layerImportanceTable());
        assertTrue(layers.contains("layer_importance") && layers.contains(">0.25<"), layers);
        String blocks = Summaries.html(s.blockImportanceTable());
        assertTrue(blocks.contains("block_importance") && blocks.contains(">0.75<"), blocks);
        assertFalse(layers.contains("NaN") || blocks.contains("NaN"));
        String curve = Figures.depthCurves(s.layerImportanceTable(), "layer", "bi").asJavascript("d").replaceAll("\\s+", "");
        assertTrue(curve.contains("y:[\"0.5\",\"0.25\",\"0.0\"]"), curve);
        String grid = Figures.blockGrid(s.blockImportanceTable(), "start", "length", "bi").asJavascript("g")
                .replaceAll("\\s+", "");
        assertTrue(grid.contains("z:[[0.5,0.25,0.0,],[0.75,0.5,NaN,],[0.9,NaN,NaN,],]"), grid);
    }
}
