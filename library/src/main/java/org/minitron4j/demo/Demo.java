package org.minitron4j.demo;

import io.soabase.recordbuilder.core.RecordBuilder;
import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.Progress;
import org.minitron4j.data.Corpus;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.EvalSuite;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.experiment.Leaderboard;
import org.minitron4j.html.Fragments;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.plot.Figures;
import org.minitron4j.plot.Html;
import org.minitron4j.prune.PrunePlan;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import org.minitron4j.tinyworld.TinyWorld;
import org.minitron4j.tinyworld.TinyWorldOptions;
import org.minitron4j.train.TrainConfig;
import tech.tablesaw.api.Table;

/**
 * The Minitron pipeline end to end on the embedded default: evaluate the bundled teacher, estimate importance in one
 * calibration pass, prune a width student and a depth student to at most 60% of the teacher's parameters, retrain each
 * by logit distillation from the teacher, evaluate before and after, and write {@code report.html} and
 * {@code results.json}.
 */
public final class Demo {
    private Demo() {
    }

    /** Budgets and locations; {@link #defaults()} fits in a few minutes on 2 CPU cores. */
    @RecordBuilder
    public record Options(Path teacherDir, Path datasetDir, Path outDir, int calibrationSamples, int distillSteps,
                          int validationTokens, int winograndeItems, long seed, Device device)
            implements DemoOptionsBuilder.With {
        public static Options defaults() {
            return new Options(Path.of("datasets/tinyworld-teacher"), Path.of("datasets/tinyworld"), Path.of("demo-output"),
                    256, 400, 40_000, 0, 1, Device.cpu());
        }

        public Options withBudget(int samples, int steps, int valTokens, int items) {
            return with(b -> b.calibrationSamples(samples).distillSteps(steps).validationTokens(valTokens)
                    .winograndeItems(items));
        }

        public Options withLocations(Path teacher, Path dataset) {
            return withTeacherDir(teacher).withDatasetDir(dataset);
        }
    }

    /** One evaluated model of the demo. */
    public record Entry(String model, String role, long parameters, double lmLoss, double winograndeAcc,
                        double winograndeStderr) {
    }

    /** Everything the demo measured, also written to {@code results.json}. */
    public record Results(List<Entry> models, double seconds, Path report) {
        public Entry teacher() {
            return models.get(0);
        }

        /** The best distilled student by Winogrande accuracy. */
        public Entry bestStudent() {
            return models.stream().filter(e -> e.role().equals("distilled"))
                    .max((a, b) -> Double.compare(a.winograndeAcc(), b.winograndeAcc())).orElseThrow();
        }

        /** The models as a leaderboard titled "demo results", with metrics lm_loss and winogrande (accuracy). */
        public Leaderboard leaderboard() {
            Leaderboard board = new Leaderboard("demo results");
            for (Entry e : models) {
                board.add(e.model(), e.role(), e.parameters()).metric("lm_loss", e.lmLoss())
                        .metric("winogrande", e.winograndeAcc());
            }
            return board;
        }

        /** {@link #leaderboard()}'s table: columns model, role, parameters, lm_loss, winogrande. */
        public Table table() {
            return leaderboard().table();
        }
    }

    public static Results run(Options o, Progress progress) {
        long start = System.nanoTime();
        if (!Files.isRegularFile(o.teacherDir().resolve("config.json"))) {
            throw new InvalidInputException(o.teacherDir() + ": no teacher here (retrain it with ./minitron4j teacher)");
        }
        if (!Files.isRegularFile(o.datasetDir().resolve("train.txt"))) {
            progress.update("generating TinyWorld", 0, 1, o.datasetDir().toString());
            TinyWorld.generate(o.datasetDir(), TinyWorldOptions.defaults());
        }
        List<Entry> entries = new ArrayList<>();
        List<String> sections = new ArrayList<>();
        try (Model teacher = Checkpoints.load(o.teacherDir(), o.device()); Tokenizer tok = Tokenizer.load(o.teacherDir())) {
            Corpus corpus = Corpus.load(o.datasetDir(), tok);
            if (o.validationTokens() > 0) { // 0: all of it
                corpus = corpus.withValidationTokens(o.validationTokens());
            }
            int[] validation = corpus.validation();
            int[] calibration = corpus.calibration();
            int[] train = corpus.train();
            List<WinograndeItem> items = Winogrande.load(o.datasetDir().resolve("winogrande_dev.jsonl"));
            WinograndeOptions wg = WinograndeOptions.defaults().withLimit(o.winograndeItems());
            EvalSuite suite = EvalSuite.of(tok).withLmTokens(validation).withLmLoss(new LmLossOptions(128, 16, Set.of()))
                    .withWinogrande(items).withWinograndeOptions(wg);
            entries.add(entry("teacher", "teacher", teacher, suite.measure(teacher, progress)));

            ActivationStats stats = Calibration.run(teacher, calibration,
                    new CalibrationOptions(o.calibrationSamples(), 128, 16, o.seed(), Calibration.DEFAULT_BLOCKS), progress);
            ImportanceScores scores = stats.scores(Aggregation.PAPER, MlpVariant.PAPER);
            Table heads = scores.table().where(scores.table().stringColumn("component").isEqualTo("head"));
            sections.add("<h2>Importance (one calibration pass, batch=L2, sequence=mean)</h2>"
                    + Html.figure(Figures.headHeatmap(heads)) + Html.figure(Figures.depthCurves(stats.blockImportanceTable()
                    .where(stats.blockImportanceTable().intColumn("length").isEqualTo(1)), "start", "bi")));

            long budget = (long) (STUDENT_FRACTION * teacher.config().parameterCount());
            PrunePlan width = widthPlan(teacher.config(), budget);
            ModelConfig w = width.targetConfig(teacher.config());
            PrunePlan depth = depthPlan(teacher.config(), budget);
            List<Student> students = List.of(
                    new Student("width (hidden " + w.hiddenSize() + ", ffn " + w.intermediateSize() + ")", width),
                    new Student("depth (" + depth.targetConfig(teacher.config()).numLayers() + " of "
                            + teacher.config().numLayers() + " layers)", depth));
            List<String> studentRows = new ArrayList<>();
            for (Student s : students) {
                try (PruneResult pruned = Pruner.prune(teacher, s.plan(), scores)) {
                    Model student = pruned.model();
                    entries.add(entry(s.name() + ", pruned", "pruned", student, suite.measure(student, progress)));
                    // The CLI's distill schedule (cosine to lr/10 after 10% warmup), so headroom.sh reproduces it.
                    TrainConfig train0 = TrainConfig.of(o.distillSteps(), 16, 128, 5e-4)
                            .withLogging(Math.max(1, o.distillSteps() / 50), 0, 0).withSeed(o.seed());
                    Distillation.Result r = Distillation.of(teacher, DistillationConfig.defaults(train0)).withProgress(progress).run(student, train, null);
                    entries.add(entry(s.name() + ", distilled", "distilled", student, suite.measure(student, progress)));
                    studentRows.add("<h3>" + Fragments.escape(s.name()) + "</h3><p>"
                            + Fragments.escape(pruned.report().toString()) + "</p><p>" + Fragments.escape(r.toString())
                            + "</p>" + Html.figure(Figures.trainingCurves(r.log())));
                }
            }
            Results results = new Results(entries, (System.nanoTime() - start) / 1e9, o.outDir().resolve("report.html"));
            write(o, results, sections, studentRows);
            return results;
        }
    }

    private record Student(String name, PrunePlan plan) {
    }

    /** Students get at most this share of the teacher's parameters. */
    static final double STUDENT_FRACTION = 0.55;

    /**
     * The widest plan within {@code budget}: hidden size from ¾ of the teacher's down, MLP width from ⅝ down, both in
     * multiples of 8 (hidden shrinks first only when no MLP width fits).
     */
    static PrunePlan widthPlan(ModelConfig c, long budget) {
        for (int hidden = round8(c.hiddenSize() * 3 / 4); hidden >= 8; hidden -= 8) {
            for (int ffn = round8(c.intermediateSize() * 5 / 8); ffn >= 8; ffn -= 8) {
                PrunePlan plan = PrunePlan.builder().hiddenSize(hidden).intermediateSize(ffn).build();
                if (plan.targetConfig(c).parameterCount() <= budget) {
                    return plan;
                }
            }
        }
        throw new InvalidInputException("no width-pruned shape of " + c + " fits in " + budget + " parameters");
    }

    /** The most layers (the most important ones, by block importance) within {@code budget}. */
    static PrunePlan depthPlan(ModelConfig c, long budget) {
        for (int layers = c.numLayers() - 1; layers >= 1; layers--) {
            PrunePlan plan = PrunePlan.builder().numLayers(layers).build();
            if (plan.targetConfig(c).parameterCount() <= budget) {
                return plan;
            }
        }
        throw new InvalidInputException("no depth-pruned shape of " + c + " fits in " + budget + " parameters");
    }

    private static int round8(int v) {
        return Math.max(8, v / 8 * 8);
    }

    /** LM loss and Winogrande of a model on the demo's fixed evaluation sets. */
    /** A results row from what the suite measured (it measures the LM loss and Winogrande). */
    private static Entry entry(String name, String role, Model m, EvalSuite.Measurements r) {
        return new Entry(name, role, m.parameterCount(), r.lmLoss().loss(), r.winogrande().acc(),
                r.winogrande().accStderr());
    }

    private static void write(Options o, Results r, List<String> sections, List<String> studentRows) {
        try {
            Files.createDirectories(o.outDir());
            ObjectMapper json = JsonMappers.indented();
            ObjectNode root = json.createObjectNode();
            ArrayNode models = root.putArray("models");
            for (Entry e : r.models()) {
                models.add(json.valueToTree(e));
            }
            Entry t = r.teacher(), best = r.bestStudent();
            root.put("teacher_parameters", t.parameters());
            root.put("best_student", best.model());
            root.put("best_student_parameter_fraction", (double) best.parameters() / t.parameters());
            root.put("best_student_winogrande_retention", best.winograndeAcc() / t.winograndeAcc());
            root.put("seconds", r.seconds());
            json.writeValue(o.outDir().resolve("results.json").toFile(), root);

            List<String> page = new ArrayList<>();
            page.add(String.format(Locale.ROOT, "<p>Teacher %s: %,d parameters. Best student %s keeps "
                            + "%.0f%% of the teacher's Winogrande accuracy with %.0f%% of its parameters. Took %.0f s.</p>",
                    Fragments.escape(o.teacherDir().toString()), t.parameters(), Fragments.escape(best.model()),
                    100 * best.winograndeAcc() / t.winograndeAcc(), 100.0 * best.parameters() / t.parameters(), r.seconds()));
            page.add(Fragments.table(r.table(), 50));
            page.add(Html.figure(Figures.versusParameters(r.table(), "winogrande")));
            page.add(Html.figure(Figures.versusParameters(r.table(), "lm_loss")));
            page.addAll(sections);
            page.add("<h2>Students</h2>");
            page.addAll(studentRows);
            Html.writePage(r.report(), "minitron4j demo", page.toArray(String[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException("writing the demo output to " + o.outDir(), e);
        }
    }
}
