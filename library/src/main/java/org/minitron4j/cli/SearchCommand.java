package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.html.Fragments;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.plot.Figures;
import org.minitron4j.plot.Html;
import org.minitron4j.search.ArchitectureSearch;
import org.minitron4j.search.SearchOptions;
import org.minitron4j.search.SearchResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tech.tablesaw.api.Table;

/**
 * {@code search}: architecture search near a parameter budget (2407.14679): prune the top candidate shapes from cached
 * importance scores, optionally distil each lightly from the model, rank them by validation loss. Writes
 * {@code leaderboard.csv}, {@code stability.csv}, {@code curves.csv}, {@code search.json} and {@code leaderboard.html}.
 */
@Command(name = "search", description = "Architecture search: prune the candidate shapes within a tolerance of a parameter "
        + "budget, lightly distil each from the model (--tokens), rank them by validation loss.")
final class SearchCommand implements Runnable {
    static final String LEADERBOARD = "leaderboard.csv", STABILITY = "stability.csv", CURVES = "curves.csv",
            JSON_FILE = "search.json", HTML = "leaderboard.html";
    /** Fraction of --data held out for validation when no --validation is given. */
    static final double HELD_OUT = 0.1;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--scores", description = "Importance scores folder (from the importance step); computed on --model.")
    Path scores;

    @Option(names = "--calibration", description = "Calibrate on this data first instead of --scores (paper aggregation).")
    Path calibration;

    @Option(names = "--calibration-samples", defaultValue = "256", description = "Calibration sequences of --seq-len tokens (default: ${DEFAULT-VALUE}).")
    int calibrationSamples;

    @Option(names = "--params", required = true, description = "Parameter budget: a count such as 12000000, 12M, 1.5B or 8e6.")
    String params;

    @Option(names = "--tolerance", defaultValue = "0.05", description = "Relative distance to the budget allowed (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--candidates", defaultValue = "10", description = "Candidates tried, closest to the budget first (default: ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--tokens", defaultValue = "0", description = "Light-retraining tokens per candidate (0 = rank by the pruned loss only; default: ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--data", description = "Retraining data: .txt/.jsonl (model's tokenizer), .bin or .npy; without --validation its last 10%% is held out.")
    Path data;

    @Option(names = "--validation", description = "Held-out data the candidates are scored on.")
    Path validation;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--batch-size", defaultValue = "16", description = "Sequences per step and per evaluation batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak retraining learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--eval-every", defaultValue = "0", description = "Validate every N retraining steps (0 = a quarter of the steps).")
    int evalEvery;

    @Option(names = "--eval-tokens", defaultValue = "65536", description = "Validation tokens scored per checkpoint (default: ${DEFAULT-VALUE}).")
    int evalTokens;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the retraining batches and calibration windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--hidden-multiple", defaultValue = "8", description = "Hidden sizes are multiples of this (default: ${DEFAULT-VALUE}).")
    int hiddenMultiple;

    @Option(names = "--ffn-multiple", defaultValue = "8", description = "MLP widths are multiples of this (default: ${DEFAULT-VALUE}).")
    int ffnMultiple;

    @Option(names = "--max-width-cut", defaultValue = "0.99", description = "Largest fraction of a width axis removed (modelopt: 0.4; default: ${DEFAULT-VALUE}).")
    double maxWidthCut;

    @Option(names = "--max-depth-cut", defaultValue = "0.99", description = "Largest fraction of the layers removed (modelopt: 0.2; default: ${DEFAULT-VALUE}).")
    double maxDepthCut;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print the best candidate as one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        long budget = parseCount(params);
        ArchitectureSearch.Space space = new ArchitectureSearch.Space(tolerance, hiddenMultiple, ffnMultiple, maxWidthCut, maxDepthCut);
        if (tokens < 0) {
            throw new InvalidInputException("--tokens must be >= 0, got " + tokens);
        }
        if (batchSize <= 0 || seqLen <= 0) {
            throw new InvalidInputException("--batch-size and --seq-len must be > 0, got " + batchSize + " and " + seqLen);
        }
        if ((scores == null) == (calibration == null)) {
            throw new InvalidInputException("give --scores DIR (from the importance step) or --calibration FILE to calibrate first, exactly one");
        }
        if (calibration != null) {
            Flags.atLeast("--calibration-samples", calibrationSamples, 1);
        }
        if (tokens > 0 && data == null) {
            throw new InvalidInputException("--tokens " + tokens + " retrains each candidate and needs --data FILE");
        }
        if (validation == null && data == null) {
            throw new InvalidInputException("give --validation FILE (or --data FILE, whose last 10% is then held out) to score the candidates");
        }
        long perStep = (long) batchSize * seqLen;
        int steps = Math.toIntExact((tokens + perStep - 1) / perStep);
        int every = evalEvery > 0 ? evalEvery : Math.max(1, steps / 4);
        SearchOptions opts = SearchOptions.defaults().withMaxCandidates(candidates).withBatch(batchSize, seqLen)
                .withLearningRate(lr).withEvalTokens(evalTokens).withSeed(seed).withRetraining(steps, steps == 0 ? 0 : every);
        try (OutputFolder claim = overwrite.claim(out); Model model = modelOptions.load()) {
            long total = model.parameterCount();
            ArchitectureSearch.searchable(model.config(), budget, space); // a bad budget fails before any data is read
            int vocab = model.config().vocabSize();
            int[] trainTokens = null, validationTokens;
            if (data != null) {
                int[] all = read(data, "--data", vocab);
                if (validation == null) {
                    int cut = (int) Math.round(all.length * (1 - HELD_OUT));
                    trainTokens = Arrays.copyOf(all, cut);
                    validationTokens = Arrays.copyOfRange(all, cut, all.length);
                } else {
                    trainTokens = all;
                    validationTokens = read(validation, "--validation", vocab);
                }
            } else {
                validationTokens = read(validation, "--validation", vocab);
            }
            ImportanceRanking ranking = scores != null ? PruneCommand.loadScores(scores, model.config())
                    : Calibration.run(model, read(calibration, "--calibration", vocab), new CalibrationOptions(calibrationSamples, seqLen, batchSize, seed, Calibration.DEFAULT_BLOCKS), Progress.stderr()).scores(Aggregation.PAPER, MlpVariant.PAPER);
            System.err.printf(Locale.ROOT, "search: budget %,d ± %s, up to %d candidates, %d retraining steps each%n", budget,
                    tolerance, candidates, steps);
            SearchResult result = ArchitectureSearch.run(model, ranking, budget, space, opts, trainTokens, validationTokens,
                    Progress.stderr());
            write(result, total, steps);
            SearchResult.Entry best = result.best();
            if (json) {
                ObjectNode o = Json.object();
                o.put("best", best.label());
                o.set("plan", best.candidate().plan().toJsonNode());
                o.put("parameters", best.candidate().parameters());
                o.put("loss", best.lossFinal());
                o.put("loss_step0", best.lossStep0());
                o.put("budget", budget);
                o.put("candidates", result.entries().size());
                o.put("retrain_steps", steps);
                o.put("out", out.toString());
                Json.print(o);
            } else {
                System.out.println(result.leaderboard().printAll());
                System.out.printf(Locale.ROOT, "best: %s (%,d parameters), validation loss %.4f (pruned %.4f); wrote %s%n",
                        best.label(), best.candidate().parameters(), best.lossFinal(), best.lossStep0(), out);
            }
        }
    }

    private void write(SearchResult result, long modelParameters, int steps) {
        try {
            Table board = result.leaderboard(), stability = result.stability();
            board.write().csv(out.resolve(LEADERBOARD).toFile());
            stability.write().csv(out.resolve(STABILITY).toFile());
            result.curves().write().csv(out.resolve(CURVES).toFile());
            ObjectNode o = result.toJsonNode();
            o.put("model", modelOptions.model.toString());
            o.put("model_parameters", modelParameters);
            o.put("scores", scores != null ? scores.toString() : "calibrated on " + calibration);
            o.put("retrain_steps", steps);
            o.put("tokens_per_candidate", (long) steps * batchSize * seqLen);
            JsonMappers.indented().writeValue(out.resolve(JSON_FILE).toFile(), o);
            Table wide = result.curvesWide();
            List<String> curves = wide.columnNames().subList(1, wide.columnCount());
            String title = String.format(Locale.ROOT, "Architecture search: %,d parameters ± %s", result.budget(), tolerance);
            String ranking = Html.figure(Figures.leaderboard(board, "candidate", "loss_final", board.rowCount(), false));
            if (steps > 0) {
                Html.writePage(out.resolve(HTML), title, ranking, Fragments.table(board, board.rowCount()),
                        Html.figure(Figures.trainingCurves(wide, "step", curves, List.of())),
                        Fragments.table(stability, stability.rowCount()));
            } else {
                Html.writePage(out.resolve(HTML), title, ranking, Fragments.table(board, board.rowCount()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out + ": " + e.getMessage(), e);
        }
    }

    private int[] read(Path file, String option, int vocab) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(option + " " + file + ": file not found");
        }
        try (Tokenizer tok = TokenSource.isPreTokenized(file) ? null : modelOptions.tokenizer()) {
            int[] t = TokenSource.read(file, tok);
            TokenSource.checkVocab(t, vocab, option + " " + file);
            return t;
        }
    }

    /** "12000000", "12M", "1.5B", "800k", "8e6" → a positive parameter count. */
    static long parseCount(String s) {
        String t = s.strip().replace("_", "").replace(",", "");
        double scale = 1;
        if (!t.isEmpty()) {
            switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                case 'K': scale = 1e3; break;
                case 'M': scale = 1e6; break;
                case 'B': case 'G': scale = 1e9; break;
                default: break;
            }
            if (scale != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        double v;
        try {
            v = Double.parseDouble(t) * scale;
        } catch (NumberFormatException e) {
            throw new InvalidInputException("--params '" + s + "' is not a parameter count (e.g. 12000000, 12M, 1.5B)");
        }
        if (!(v >= 1) || v > Long.MAX_VALUE) {
            throw new InvalidInputException("--params must be a positive count, got '" + s + "'");
        }
        return Math.round(v);
    }
}
