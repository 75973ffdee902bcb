package org.minitron4j.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.Progress;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.plot.Html;
import org.minitron4j.tinyworld.TinyWorld;
import org.minitron4j.tinyworld.TinyWorldOptions;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.Table;

/** The demo pipeline end to end on a tiny world and an untrained teacher (the numbers are meaningless; the plumbing is not). */
class DemoTest {
    @Test
    void resultsTableKeepsItsColumnsThroughTheLeaderboard() {
        Demo.Results r = new Demo.Results(List.of(new Demo.Entry("teacher", "teacher", 1000, 2.5, 0.7, 0.02),
                new Demo.Entry("depth, distilled", "distilled", 550, 3.0, 0.6, 0.03)), 1.0, Path.of("report.html"));
        Table t = r.table();
        assertEquals("demo results", t.name());
        assertEquals(List.of("model", "role", "parameters", "lm_loss", "winogrande"), t.columnNames());
        assertEquals(ColumnType.LONG, t.column("parameters").type());
        assertEquals(List.of("teacher", "depth, distilled"), t.stringColumn("model").asList());
        assertEquals(List.of("teacher", "distilled"), t.stringColumn("role").asList());
        assertEquals(List.of(1000L, 550L), t.longColumn("parameters").asList());
        assertEquals(List.of(2.5, 3.0), t.doubleColumn("lm_loss").asList());
        assertEquals(List.of(0.7, 0.6), t.doubleColumn("winogrande").asList());
    }

    @Test
    void runsEveryStageAndWritesAReportWithPlotsAndResults(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("world");
        TinyWorld.generate(data, new TinyWorldOptions(7, 20_000, 3_000, 3_000, 40, 10, 8));
        Path teacherDir = tmp.resolve("teacher");
        try (Tokenizer tok = Tokenizer.load(data);
             Model teacher = Model.random(ModelConfig.llama(tok.vocabSize(), 32, 64, 4, 4, 2), Device.cpu(), 3)) {
            Checkpoints.save(teacher, teacherDir, Checkpoints.SaveOptions.defaults().withTokenizerFrom(data));
        }
        Demo.Options o = Demo.Options.defaults().withLocations(teacherDir, data).withOutDir(tmp.resolve("out"))
                .withBudget(16, 3, 2_000, 20);
        Demo.Results r = Demo.run(o, Progress.NONE);

        assertEquals(5, r.models().size(), "teacher + 2 students before and after distillation");
        for (Demo.Entry e : r.models().subList(1, 5)) {
            assertTrue(e.parameters() <= 0.6 * r.teacher().parameters(), e + " has at most 60% of the teacher's parameters");
            assertTrue(Double.isFinite(e.lmLoss()) && e.winograndeAcc() >= 0 && e.winograndeAcc() <= 1, e.toString());
        }
        String html = Files.readString(r.report());
        assertEquals(html.indexOf(Html.plotlyJs().substring(0, 200)), html.lastIndexOf(Html.plotlyJs().substring(0, 200)),
                "plotly.js embedded once");
        assertTrue(html.split("class=\"m4j-figure\"", -1).length - 1 >= 5, "heatmap, depth curve, two comparisons, training curves");
        JsonNode results = new ObjectMapper().readTree(tmp.resolve("out/results.json").toFile());
        assertEquals(5, results.get("models").size());
        assertTrue(results.get("best_student_parameter_fraction").asDouble() <= 0.6);
    }
}
