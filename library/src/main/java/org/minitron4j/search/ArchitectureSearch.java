package org.minitron4j.search;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.Corpus;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.PrunePlan;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import org.minitron4j.train.TrainConfig;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.Table;

/**
 * Candidate pruned shapes near a parameter budget (2407.14679 §architecture search): every combination of layers,
 * query heads and hidden size allowed by the constraints, each with the MLP width that brings its exact parameter count
 * closest to the budget, kept when within ±tolerance. {@link #candidates} neither prunes nor retrains: the caller
 * prunes and lightly retrains the candidates it wants ({@link Candidate#plan()}), or calls {@link #run}, which does
 * both and ranks them ({@link SearchResult}).
 *
 * <p>Constraints: hidden a multiple of {@link Space#hiddenMultiple()} or of the original head count; MLP width a
 * multiple of {@link Space#ffnMultiple()}; query heads a multiple of the KV heads (KV groups are kept); at most
 * {@link Space#maxWidthCut()} of any width axis and {@link Space#maxDepthCut()} of the layers removed; GPT-2 shapes keep
 * {@code hidden = heads × head_dim} so that they stay savable.
 */
public final class ArchitectureSearch {
    private final Model teacher;
    private final ImportanceRanking scores;
    private final SearchOptions options;

    private ArchitectureSearch(Model teacher, ImportanceRanking scores, SearchOptions options) {
        this.teacher = teacher;
        this.scores = scores;
        this.options = options;
    }

    /**
     * A search that prunes every candidate from {@code teacher} with {@code scores}, with {@link
     * SearchOptions#defaults()}: {@code ArchitectureSearch.of(teacher, scores).withOptions(opts).run(budget, space,
     * corpus)}. Progress goes to {@link Progress#current()}.
     */
    public static ArchitectureSearch of(Model teacher, ImportanceRanking scores) {
        return new ArchitectureSearch(teacher, scores, SearchOptions.defaults());
    }

    /** A copy with other options (candidates, retraining, batch shape, seed, pruning). */
    public ArchitectureSearch withOptions(SearchOptions o) {
        return new ArchitectureSearch(teacher, scores, o);
    }

    /** Searches the best {@link SearchOptions#maxCandidates()} candidates of {@code space} near {@code budget}. */
    public SearchResult run(long budget, Space space, Corpus corpus) {
        return run(teacher, scores, budget, space, options, corpus.train(), corpus.validation(), Progress.current());
    }

    /**
     * Tries the given candidates in order (e.g. a few shapes from {@link #candidates} that differ in depth, width and
     * heads); the result records {@code budget} and, as tolerance, the candidates' largest relative distance to it.
     */
    public SearchResult run(List<Candidate> candidates, long budget, Corpus corpus) {
        double tolerance = 0;
        for (Candidate c : candidates) {
            tolerance = Math.max(tolerance, Math.abs((double) c.parameters() / budget - 1));
        }
        return run(teacher, scores, candidates, budget, tolerance, options, corpus.train(), corpus.validation(),
                Progress.current());
    }

    /**
     * The search space.
     *
     * @param tolerance relative distance to the budget a candidate may have (0.05 = ±5%)
     * @param hiddenMultiple hidden sizes are multiples of this (or of the original head count)
     * @param ffnMultiple MLP widths are multiples of this
     * @param maxWidthCut largest fraction of hidden size, MLP width or heads removed (modelopt: 0.4)
     * @param maxDepthCut largest fraction of layers removed (modelopt: 0.2)
     */
    @RecordBuilder
    public record Space(double tolerance, int hiddenMultiple, int ffnMultiple, double maxWidthCut, double maxDepthCut)
            implements ArchitectureSearchSpaceBuilder.With {
        public Space {
            if (!(tolerance >= 0 && tolerance < 1)) {
                throw new InvalidInputException("tolerance must be in [0, 1), got " + tolerance);
            }
            if (hiddenMultiple <= 0 || ffnMultiple <= 0) {
                throw new InvalidInputException("hidden and ffn multiples must be > 0, got " + hiddenMultiple + " and " + ffnMultiple);
            }
            if (!(maxWidthCut >= 0 && maxWidthCut < 1) || !(maxDepthCut >= 0 && maxDepthCut < 1)) {
                throw new InvalidInputException("maxWidthCut and maxDepthCut must be in [0, 1), got " + maxWidthCut + " and " + maxDepthCut);
            }
        }

        /** ±5%, multiples of 8, any cut short of removing an axis entirely. */
        public static Space defaults() {
            return new Space(0.05, 8, 8, 0.99, 0.99);
        }

        public Space withMultiples(int hidden, int ffn) { return withHiddenMultiple(hidden).withFfnMultiple(ffn); }
        public Space withMaxCuts(double width, double depth) { return withMaxWidthCut(width).withMaxDepthCut(depth); }
    }

    /** One shape and its exact parameter count. */
    public record Candidate(int numLayers, int hiddenSize, int numAttentionHeads, int numKeyValueHeads, int intermediateSize,
                            long parameters) {
        /** The plan that prunes the base model to this shape (layers kept by importance). */
        public PrunePlan plan() {
            return new PrunePlan(hiddenSize, intermediateSize, numAttentionHeads, numKeyValueHeads, numLayers, null);
        }

        /** A short name: {@code L<layers>-H<hidden>-A<heads>-F<ffn>}, e.g. {@code L6-H192-A8-F320}. */
        public String label() {
            return "L" + numLayers + "-H" + hiddenSize + "-A" + numAttentionHeads + "-F" + intermediateSize;
        }
    }

    /** Candidates for {@code base} within {@code space.tolerance()} of {@code budget} parameters, closest first. */
    public static List<Candidate> candidates(ModelConfig base, long budget, Space space) {
        if (budget <= 0) {
            throw new InvalidInputException("parameter budget must be > 0, got " + budget);
        }
        int kv = base.numKeyValueHeads();
        boolean gpt2 = base.architecture() == ModelConfig.Architecture.GPT2;
        int minLayers = Math.max(1, (int) Math.ceil(base.numLayers() * (1 - space.maxDepthCut())));
        List<Candidate> out = new ArrayList<>();
        for (int layers = minLayers; layers <= base.numLayers(); layers++) {
            for (int heads : headCounts(base, space)) {
                int kvHeads = base.numKeyValueHeads() == base.numAttentionHeads() ? heads : kv;
                for (int hidden : hiddenSizes(base, space)) {
                    if (gpt2 && hidden != heads * base.headDim()) {
                        continue;
                    }
                    ModelConfig one = shape(base, layers, hidden, heads, kvHeads, 1);
                    long perNeuron = shape(base, layers, hidden, heads, kvHeads, 2).parameterCount() - one.parameterCount();
                    long fixed = one.parameterCount() - perNeuron; // parameters at zero MLP width
                    int m = space.ffnMultiple();
                    long ideal = Math.round((double) (budget - fixed) / perNeuron / m) * m;
                    int minFfn = (int) Math.ceil(base.intermediateSize() * (1 - space.maxWidthCut()));
                    int ffn = (int) Math.min(Math.max(ideal, Math.max(m, roundUp(minFfn, m))), base.intermediateSize());
                    if (ffn < minFfn || ffn <= 0) {
                        continue;
                    }
                    long params = fixed + perNeuron * ffn;
                    if (Math.abs(params - budget) <= space.tolerance() * budget) {
                        out.add(new Candidate(layers, hidden, heads, kvHeads, ffn, params));
                    }
                }
            }
        }
        out.sort(Comparator.comparingLong((Candidate c) -> Math.abs(c.parameters() - budget))
                .thenComparing(Comparator.comparingLong(Candidate::parameters).reversed()));
        return out;
    }

    /**
     * The search itself (2407.14679 §architecture search): takes the first {@link SearchOptions#maxCandidates()}
     * candidates (closest to the budget, then largest), prunes each from {@code scores} (computed once on the teacher;
     * no recalibration), measures its validation LM loss, then, when {@link SearchOptions#retrainSteps()} &gt; 0,
     * lightly retrains it by logit distillation from {@code teacher} ({@link DistillationConfig#defaults}: forward KLD,
     * τ = 1, no CLM), measuring the loss every {@link SearchOptions#checkpointEvery()} steps. Every candidate sees the same
     * batches and is scored on the same first {@link SearchOptions#evalTokens()} tokens of {@code validation}. Each pruned
     * model is closed as soon as it is scored, so at most one lives next to the teacher.
     *
     * @param teacher    the model to prune; never modified
     * @param scores     importance of the teacher's heads, neurons, channels and layers
     * @param train      retraining tokens; may be null when {@code opts.retrainSteps() == 0}
     * @param validation held-out tokens (at least 2)
     * @throws InvalidInputException when the budget is not below the teacher's parameter count, no candidate lies
     *                               within the tolerance (the message names both), or data is missing or too short
     */
    public static SearchResult run(Model teacher, ImportanceRanking scores, long budget, Space space, SearchOptions opts,
                                   int @Nullable [] train, int[] validation, Progress progress) {
        List<Candidate> all = searchable(teacher.config(), budget, space);
        return run(teacher, scores, all.subList(0, Math.min(opts.maxCandidates(), all.size())), budget, space.tolerance(),
                opts, train, validation, progress);
    }

    /**
     * {@link #run(Model, ImportanceRanking, long, Space, SearchOptions, int[], int[], Progress)} on candidates the caller
     * chose (e.g. a few shapes from {@link #candidates} that differ in depth, width and heads), tried in the given
     * order; {@link SearchOptions#maxCandidates()} is not applied. {@code budget} and {@code tolerance} are only recorded
     * in the result.
     *
     * @throws InvalidInputException when {@code candidates} is empty, or data is missing or too short
     */
    public static SearchResult run(Model teacher, ImportanceRanking scores, List<Candidate> candidates, long budget,
                                   double tolerance, SearchOptions opts, int @Nullable [] train, int[] validation,
                                   Progress progress) {
        if (candidates == null || candidates.isEmpty()) {
            throw new InvalidInputException("architecture search needs at least one candidate");
        }
        List<Candidate> tried = List.copyOf(candidates);
        if (validation == null || validation.length < 2) {
            throw new InvalidInputException("architecture search needs validation tokens (at least 2) to score candidates");
        }
        if (opts.retrainSteps() > 0 && train == null) {
            throw new InvalidInputException("retraining " + opts.retrainSteps() + " steps per candidate needs training tokens");
        }
        int[] val = Arrays.copyOf(validation, Math.min(validation.length, opts.evalTokens())); // the scored tokens
        int[] steps = opts.checkpointSteps();
        double teacherLoss = LmLoss.evaluate(teacher, val, opts.seqLen(), opts.batchSize()).loss();
        List<SearchResult.Entry> entries = new ArrayList<>();
        for (int i = 0; i < tried.size(); i++) {
            Candidate c = tried.get(i);
            double[] losses = new double[steps.length];
            try (PruneResult pruned = Pruner.prune(teacher, c.plan(), scores, opts.prune())) {
                Model student = pruned.model();
                losses[0] = LmLoss.evaluate(student, val, opts.seqLen(), opts.batchSize()).loss();
                if (opts.retrainSteps() > 0) {
                    TrainConfig tc = TrainConfig.of(opts.retrainSteps(), opts.batchSize(), opts.seqLen(), opts.learningRate())
                            .withSeed(opts.seed())
                            .withLogging(Math.max(1, opts.retrainSteps() / 10), opts.checkpointEvery(), val.length);
                    String label = c.label();
                    Progress inner = (task, done, total, detail) -> progress.update(label + " " + task, done, total, detail);
                    Distillation.Result r = Distillation.of(teacher, DistillationConfig.defaults(tc)).withProgress(inner).run(student, train, val);
                    Map<Integer, Double> measured = validationLosses(r.log().table());
                    for (int k = 1; k < steps.length; k++) {
                        Double v = measured.get(steps[k]);
                        if (v == null) {
                            throw new IllegalStateException("no validation loss logged at step " + steps[k] + " for " + label);
                        }
                        losses[k] = v;
                    }
                }
            }
            entries.add(new SearchResult.Entry(c, losses));
            progress.update("search", i + 1, tried.size(), String.format(Locale.ROOT, "%s loss %.4f → %.4f", c.label(),
                    losses[0], losses[losses.length - 1]));
        }
        return new SearchResult(budget, tolerance, steps, teacherLoss, entries);
    }

    /**
     * {@link #candidates}, but a budget that is not below the model's parameter count, or one without any candidate
     * within the tolerance, is an {@link InvalidInputException} whose message names the budget and the tolerance.
     */
    public static List<Candidate> searchable(ModelConfig base, long budget, Space space) {
        if (budget >= base.parameterCount()) {
            throw new InvalidInputException(String.format(Locale.ROOT,
                    "parameter budget %,d is not smaller than the model's %,d parameters", budget, base.parameterCount()));
        }
        List<Candidate> all = candidates(base, budget, space);
        if (all.isEmpty()) {
            throw new InvalidInputException(String.format(Locale.ROOT,
                    "no candidate shape within ±%s of %,d parameters (the model has %,d); widen the tolerance or move the budget",
                    percent(space.tolerance()), budget, base.parameterCount()));
        }
        return all;
    }

    private static Map<Integer, Double> validationLosses(Table log) {
        Map<Integer, Double> out = new HashMap<>();
        if (!log.columnNames().contains("val_loss")) {
            return out;
        }
        for (int r = 0; r < log.rowCount(); r++) {
            double v = log.doubleColumn("val_loss").getDouble(r);
            if (!Double.isNaN(v)) {
                out.put(log.intColumn("step").getInt(r), v);
            }
        }
        return out;
    }

    private static String percent(double fraction) {
        return java.math.BigDecimal.valueOf(fraction).movePointRight(2).stripTrailingZeros().toPlainString() + "%";
    }

    /** {@link #candidates} as a table: one row per candidate with its parameters and ratio to the budget. */
    public static Table table(ModelConfig base, long budget, Space space) {
        List<Candidate> cs = candidates(base, budget, space);
        Table t = Table.create("architecture candidates");
        t.addColumns(
                IntColumn.create("num_layers", cs.stream().mapToInt(Candidate::numLayers).toArray()),
                IntColumn.create("hidden_size", cs.stream().mapToInt(Candidate::hiddenSize).toArray()),
                IntColumn.create("num_attention_heads", cs.stream().mapToInt(Candidate::numAttentionHeads).toArray()),
                IntColumn.create("num_key_value_heads", cs.stream().mapToInt(Candidate::numKeyValueHeads).toArray()),
                IntColumn.create("intermediate_size", cs.stream().mapToInt(Candidate::intermediateSize).toArray()),
                LongColumn.create("parameters", cs.stream().mapToLong(Candidate::parameters).toArray()),
                DoubleColumn.create("budget_ratio", cs.stream().mapToDouble(c -> (double) c.parameters() / budget).toArray()));
        return t;
    }

    private static ModelConfig shape(ModelConfig base, int layers, int hidden, int heads, int kv, int ffn) {
        return new ModelConfig.Builder(base).numLayers(layers).hiddenSize(hidden).heads(heads, kv).intermediateSize(ffn).build();
    }

    private static List<Integer> headCounts(ModelConfig base, Space space) {
        List<Integer> out = new ArrayList<>();
        int step = base.numKeyValueHeads() == base.numAttentionHeads() ? 1 : base.numKeyValueHeads();
        double min = base.numAttentionHeads() * (1 - space.maxWidthCut());
        for (int h = step; h <= base.numAttentionHeads(); h += step) {
            if (h >= min) {
                out.add(h);
            }
        }
        return out;
    }

    private static TreeSet<Integer> hiddenSizes(ModelConfig base, Space space) {
        TreeSet<Integer> out = new TreeSet<>();
        double min = base.hiddenSize() * (1 - space.maxWidthCut());
        for (int h = 1; h <= base.hiddenSize(); h++) {
            if (h >= min && (h % space.hiddenMultiple() == 0 || h % base.numAttentionHeads() == 0)) {
                out.add(h);
            }
        }
        return out;
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }
}
