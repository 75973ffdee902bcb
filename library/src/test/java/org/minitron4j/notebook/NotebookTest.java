package org.minitron4j.notebook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.minitron4j.plot.Figures;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;

class NotebookTest {
    private static final String PLOTLY_BANNER = "plotly.js v1.54.1";

    @Test
    void plotlyGoesOutWithTheFirstFigureOnlyUntilResent() {
        Table t = Table.create("d", IntColumn.create("layer", 0, 1), DoubleColumn.create("v", 1, 2));
        Minitron4jIntegration.resendPlotly();
        String first = Minitron4jIntegration.render(Figures.depthCurves(t));
        String second = Minitron4jIntegration.render(Figures.depthCurves(t));
        String table = Minitron4jIntegration.render(t);
        assertTrue(first.contains(PLOTLY_BANNER) && first.indexOf(PLOTLY_BANNER) < first.indexOf("m4j-figure"));
        assertFalse(second.contains(PLOTLY_BANNER));
        assertFalse(table.contains(PLOTLY_BANNER));
        Notebooks.plotly();
        assertTrue(Minitron4jIntegration.render(Figures.depthCurves(t)).contains(PLOTLY_BANNER));
    }

    @Test
    void progressRewritesOneLinePerTaskWithCarriageReturns() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        NotebookProgress p = new NotebookProgress(() -> stream, 0);
        p.update("lm-loss", 1, 4, "loss 5.5");
        p.update("lm-loss", 4, 4, "loss 5.2");
        p.update("train", 1, 2, "");
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rlm-loss [######"), out);
        assertTrue(out.contains("1/4   25%"), out);
        assertTrue(out.contains("\rlm-loss [########################] 4/4  100%") && out.contains("loss 5.2\n"), out);
        assertTrue(out.endsWith("\rtrain [" + "#".repeat(12) + "\u00b7".repeat(12) + "] 1/2   50%  0.0 s, ~0 s left"),
                out);
    }

    @Test
    void progressSkipsUpdatesWithinTheIntervalButNeverTheLast() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        NotebookProgress p = new NotebookProgress(() -> stream, 60_000);
        for (int i = 1; i <= 100; i++) {
            p.update("calibration", i, 100, "");
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(2, out.split("\r", -1).length - 1, out); // the first and the last
        assertTrue(out.contains("100/100"), out);
    }

    @Test
    void budgetIsFullUnlessSmallIsAsked() {
        boolean small = "small".equalsIgnoreCase(System.getenv(Notebooks.BUDGET_ENV));
        assertEquals(small ? "small" : "full", Notebooks.budget());
        assertEquals(small ? 2 : 6, Notebooks.pick(6, 2));
    }

    @Test
    void homeIsTheRepositoryRoot() {
        assertTrue(Files.isRegularFile(Notebooks.home().resolve("library/pom.xml")), Notebooks.home().toString());
        assertEquals(Notebooks.home().resolve("datasets"), Notebooks.path("datasets"));
    }

    @Test
    void jarRegistersTheIntegrationForTheKernel() throws Exception {
        Path json = Path.of(getClass().getResource("/META-INF/kotlin-jupyter-libraries/libraries.json").toURI());
        String text = Files.readString(json);
        assertTrue(text.contains("\"fqn\":\"" + Minitron4jIntegration.class.getName() + "\""), text);
    }
}
