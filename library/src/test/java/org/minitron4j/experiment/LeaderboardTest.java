package org.minitron4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.distill.Distillation;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.MultipleChoiceResult;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.plot.Summaries;
import org.minitron4j.train.TrainingLog;
import org.minitron4j.train.TrainingLogs;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;

class LeaderboardTest {
    static final ModelConfig TEACHER = ModelConfig.llama(100, 64, 160, 4, 4, 2);

    /** teacher: every metric; student: LM loss only; baseline: no parameters, Winogrande only. */
    static Leaderboard board() {
        Leaderboard b = new Leaderboard("results");
        b.add("teacher", "teacher", TEACHER).lmLoss(new LmLoss.Result(2.5, Math.exp(2.5), 1000))
                .winogrande(new WinograndeResult(0.7, 0.02, 100, null));
        b.add("student", "distilled", 600L).lmLoss(new LmLoss.Result(3.0, Math.exp(3.0), 1000));
        b.add("baseline <random>", null).metric("winogrande", 0.5);
        return b;
    }

    @Test
    void tableHasTheFixedColumnsThenEachMetricWithMissingWhereNotMeasured() {
        Table t = board().table();
        assertEquals("results", t.name());
        assertEquals(List.of("model", "role", "parameters", "lm_loss", "winogrande", "winogrande_stderr"), t.columnNames());
        assertEquals(ColumnType.LONG, t.column("parameters").type());
        assertEquals(ColumnType.DOUBLE, t.column("lm_loss").type());
        assertEquals(List.of("teacher", "student", "baseline <random>"), t.stringColumn("model").asList());
        assertEquals(List.of("teacher", "distilled", ""), t.stringColumn("role").asList());
        assertEquals(TEACHER.parameterCount(), t.longColumn("parameters").get(0));
        assertEquals(600L, t.longColumn("parameters").get(1));
        assertTrue(t.longColumn("parameters").isMissing(2), "unknown parameter count");
        assertEquals(2.5, t.doubleColumn("lm_loss").get(0));
        assertEquals(3.0, t.doubleColumn("lm_loss").get(1));
        assertTrue(t.doubleColumn("lm_loss").isMissing(2));
        assertEquals(0.7, t.doubleColumn("winogrande").get(0));
        assertTrue(t.doubleColumn("winogrande").isMissing(1));
        assertEquals(0.5, t.doubleColumn("winogrande").get(2));
        assertEquals(0.02, t.doubleColumn("winogrande_stderr").get(0));
    }

    @Test
    void htmlSaysNotMeasuredNeverNaNAndShowsStderrWithItsMetric() {
        String html = board().toHtml();
        assertTrue(html.contains(Leaderboard.NOT_MEASURED), html);
        assertFalse(html.contains("NaN"), html);
        assertTrue(html.contains("0.7 \u00b1 0.02"), html);
        assertFalse(html.contains(">winogrande_stderr<"), "stderr has no column of its own: " + html);
        assertTrue(html.contains("baseline &lt;random&gt;"), "names are escaped: " + html);
        assertFalse(html.contains("<random>"), html);
        assertTrue(html.contains(">600<"), html);
        assertEquals(html, Summaries.html(board()), "notebooks render it through its own summary");
        // a metric not measured by any row shows up as not measured, not as an empty cell
        int cells = html.split(java.util.regex.Pattern.quote(Leaderboard.NOT_MEASURED), -1).length - 1;
        assertEquals(3, cells, "student's winogrande, baseline's lm_loss and parameters: " + html);
    }

    @Test
    void jsonLeavesOutWhatWasNotMeasured(@TempDir Path tmp) throws Exception {
        Leaderboard b = board();
        JsonNode rows = b.toJsonNode();
        assertEquals(3, rows.size());
        assertEquals(2.5, rows.get(0).get("lm_loss").asDouble());
        assertEquals(0.02, rows.get(0).get("winogrande_stderr").asDouble());
        assertFalse(rows.get(1).has("winogrande"), rows.get(1).toString());
        assertFalse(rows.get(2).has("parameters"), rows.get(2).toString());
        assertFalse(rows.get(2).has("role"), rows.get(2).toString());
        assertFalse(rows.toString().contains("NaN"), rows.toString());
        Path file = tmp.resolve("out/results.json");
        b.writeJson(file);
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.readTree(rows.toString()), json.readTree(file.toFile()));
        b.writeCsv(tmp.resolve("results.csv"));
        assertTrue(Files.readString(tmp.resolve("results.csv")).startsWith("model,role,parameters,lm_loss,winogrande"));
    }

    @Test
    void addingANameAgainStartsItsRowAfreshInPlace() {
        Leaderboard b = board();
        b.add("teacher", "teacher", 10L).metric("lm_loss", 2.0);
        assertEquals(List.of("teacher", "student", "baseline <random>"), b.table().stringColumn("model").asList());
        assertEquals(2.0, b.value("teacher", "lm_loss"));
        assertNull(b.value("teacher", "winogrande"), "metrics cleared");
        assertEquals(10L, b.row("teacher").parameters());
        b.put("student", "lm_loss", Double.NaN);
        assertNull(b.value("student", "lm_loss"), "NaN counts as not measured");
    }

    @Test
    void namesAreCheckedAndUnknownRowsListTheRowsPresent() {
        Leaderboard b = board();
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> b.row("nope"));
        assertTrue(e.getMessage().contains("[teacher, student, baseline <random>]"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> b.row("teacher").metric("parameters", 1));
        assertThrows(InvalidInputException.class, () -> b.add(" ", "x"));
        assertThrows(InvalidInputException.class, () -> b.add("x", "y", -1L));
    }

    @Test
    void bestByMetricAndRole() {
        Leaderboard b = board();
        b.add("student 2", "distilled", 500L).metric("lm_loss", 3.0).metric("winogrande", 0.9);
        assertEquals("teacher", b.best("lm_loss", false).name());
        assertEquals("student", b.best("distilled", "lm_loss", false).name(), "tie: the row added first");
        assertEquals("student 2", b.best("winogrande", true).name());
        assertNull(b.best("pruned", "lm_loss", false));
        assertNull(b.best("nothing", true));
    }

    @Test
    void referenceAddsTheParameterShare() {
        Leaderboard b = new Leaderboard();
        b.add("teacher", "teacher", 1000L);
        b.add("student", "pruned", 600L).metric("lm_loss", 3);
        b.add("run", null);
        Table t = b.reference("teacher").table();
        assertEquals(List.of("model", "role", "parameters", "parameter_share", "lm_loss"), t.columnNames());
        assertEquals(0.6, t.doubleColumn("parameter_share").get(1), 1e-12);
        assertTrue(t.doubleColumn("parameter_share").isMissing(2));
        String html = b.toHtml();
        assertTrue(html.contains(">of teacher<") && html.contains(">60.0%<"), html);
        assertEquals(0.6, b.toJsonNode().get(1).get("parameter_share").asDouble(), 1e-12);
        assertThrows(InvalidInputException.class, () -> b.reference(" "));
    }

    @Test
    void textColumnsSitBetweenTheFixedColumnsAndTheMetrics() {
        Leaderboard b = new Leaderboard("kd");
        b.add("a", "distilled", 10L).note("logit loss", "reverse KL").metric("lm_loss", 2.0);
        b.add("b", "distilled", 10L).metric("lm_loss", 1.5);
        Table t = b.table();
        assertEquals(List.of("model", "role", "parameters", "logit loss", "lm_loss"), t.columnNames());
        assertEquals("reverse KL", t.stringColumn("logit loss").get(0));
        assertEquals("", t.stringColumn("logit loss").get(1));
        assertEquals("reverse KL", b.toJsonNode().get(0).get("logit loss").asText());
        assertTrue(b.toHtml().contains(">reverse KL<"), b.toHtml());
        assertEquals("reverse KL", b.row("a").text("logit loss"));
        assertThrows(InvalidInputException.class, () -> b.row("b").metric("logit loss", 1));
        assertThrows(InvalidInputException.class, () -> b.row("b").note("lm_loss", "x"));
        assertThrows(InvalidInputException.class, () -> b.row("b").note("role", "x"));
    }

    @Test
    void theReferenceMayBeNamedBeforeItsRowIsAdded() {
        Leaderboard b = new Leaderboard().reference("teacher");
        b.add("student", "pruned", 600L);
        assertTrue(b.table().doubleColumn("parameter_share").isMissing(0));
        b.add("teacher", "teacher", 1200L);
        assertEquals(0.5, b.table().doubleColumn("parameter_share").get(0), 1e-12);
    }

    @Test
    void addersOfTheLibrarysResultTypes() {
        TrainingLog log = TrainingLogs.of(Map.of("loss", 3.0), Map.of("loss", 2.0, "val_loss", 2.5), Map.of("loss", 1.5));
        Leaderboard b = new Leaderboard();
        b.add("a", "distilled", 5L)
                .multipleChoice("arc", new MultipleChoiceResult(0.5, 0.05, 0.6, 0.04, 0.55, 0.03, 20, null))
                .training(new Distillation.Result(log, Double.NaN, 4096, 3, 12.5));
        assertEquals(List.of("arc", "arc_stderr", "arc_acc_norm", "arc_acc_norm_stderr", "train_loss", "val_loss",
                "train_seconds", "train_tokens"), b.metrics());
        assertEquals(0.6, b.value("a", "arc_acc_norm"));
        assertEquals(0.04, b.value("a", "arc_acc_norm_stderr"));
        assertEquals(1.5, b.value("a", "train_loss"), "the last logged loss");
        assertEquals(2.5, b.value("a", "val_loss"), "the last measured validation loss (the run's is NaN)");
        assertEquals(12.5, b.value("a", "train_seconds"));
        assertEquals(4096.0, b.value("a", "train_tokens"));
        b.row("a").training(new Distillation.Result(log, 2.25, 4096, 3, 12.5));
        assertEquals(2.25, b.value("a", "val_loss"), "the run's final validation loss");
        assertTrue(b.toHtml().contains("0.5 \u00b1 0.05") && b.toHtml().contains("0.6 \u00b1 0.04"), b.toHtml());
    }
}
