package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.prune.CheckpointSurgery;
import org.minitron4j.prune.PruneOptions;
import org.minitron4j.prune.PrunePlan;
import org.minitron4j.prune.PruneReport;
import org.minitron4j.prune.PruneResult;
import org.minitron4j.prune.Pruner;
import org.minitron4j.prune.WeightMagnitudeRanking;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune}: trim a model to target sizes by an importance ranking; writes a Hugging Face folder and the report. */
@Command(name = "prune", description = "Prune a model (hidden size, MLP width, heads, layers) by importance scores and "
        + "write the smaller model as a Hugging Face folder with prune_report.json. With --scores, a Llama-family "
        + "checkpoint is pruned checkpoint to checkpoint in its own dtype without loading the model.")
final class PruneCommand implements Runnable {
    static final String REPORT_FILE = "prune_report.json";

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--scores", description = "Importance scores folder (from the importance step).")
    Path scores;

    @Option(names = "--ranking", description = "Data-free ranking instead of --scores: magnitude (weight norms).")
    String ranking;

    @Mixin
    CalibrationFlags calibration;

    @Option(names = "--hidden", description = "Target hidden_size.")
    Integer hidden;

    @Option(names = "--ffn", description = "Target intermediate_size (MLP width).")
    Integer ffn;

    @Option(names = "--heads", description = "Target num_attention_heads.")
    Integer heads;

    @Option(names = "--kv-heads", description = "Target num_key_value_heads (dropping KV groups needs --prune-kv-groups).")
    Integer kvHeads;

    @Option(names = "--layers", description = "Keep this many layers, the most important ones.")
    Integer layers;

    @Option(names = "--drop-layers", description = "Drop these layers: a range 16-31 (inclusive), a list 3,5,7, or both 1,4-6.")
    String dropLayers;

    @Option(names = "--plan", description = "A plan as JSON (the 'plan' of a prune_report.json) instead of size options.")
    Path plan;

    @Option(names = "--prune-kv-groups", description = "Allow dropping whole KV groups (off as in modelopt >= 0.41).")
    boolean pruneKvGroups;

    @Option(names = "--merge-heads", description = "Fold pruned query heads into the most similar kept head of their KV group.")
    boolean mergeHeads;

    @Option(names = "--in-memory", description = "Load the model and prune it in memory, even where --scores allows "
            + "checkpoint-to-checkpoint surgery (the only way with --ranking magnitude, --data or a GPT-2 model).")
    boolean inMemory;

    @Option(names = "--out", required = true, description = "Output folder for the pruned model.")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print the report as one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        PrunePlan p = plan();
        if (out.toAbsolutePath().normalize().equals(modelOptions.model.toAbsolutePath().normalize())) {
            throw new InvalidInputException("--out " + out + " is the source model folder; choose another folder");
        }
        int sources = (scores != null ? 1 : 0) + (ranking != null ? 1 : 0) + (calibration.data != null ? 1 : 0);
        if (sources != 1) {
            throw new InvalidInputException("give exactly one of --scores DIR, --data FILE (calibrate first) or --ranking magnitude");
        }
        PruneOptions options = PruneOptions.defaults().withPruneKvGroups(pruneKvGroups).withHeadResidualMerge(mergeHeads);
        Path tokenizerFrom = modelOptions.tokenizer == null ? modelOptions.model
                : Files.isDirectory(modelOptions.tokenizer) ? modelOptions.tokenizer : modelOptions.tokenizer.getParent();
        ModelConfig config = ModelConfig.fromHuggingFace(modelOptions.model);
        try (OutputFolder claim = overwrite.claim(out)) {
            prune(p, options, tokenizerFrom, config);
        }
    }

    private void prune(PrunePlan p, PruneOptions options, Path tokenizerFrom, ModelConfig config) {
        PruneReport report;
        boolean streaming = scores != null && !inMemory && config.architecture() != ModelConfig.Architecture.GPT2;
        if (streaming) { // the model is never loaded
            System.err.println("prune: checkpoint to checkpoint in the stored dtype, without loading the model"
                    + " (--in-memory loads it)");
            p.validate(config);
            report = CheckpointSurgery.prune(modelOptions.model, out, p, loadScores(scores, config), options, tokenizerFrom);
        } else {
            try (Model model = modelOptions.load()) {
                p.validate(model.config());
                ImportanceRanking r = ranking(model);
                try (PruneResult result = Pruner.prune(model, p, r, options)) {
                    Checkpoints.save(result.model(), out, Checkpoints.SaveOptions.defaults()
                            .withDtype(Checkpoints.storedDtype(modelOptions.model)).withTokenizerFrom(tokenizerFrom));
                    report = result.report();
                }
            }
        }
        ObjectNode node = report.toJsonNode();
        node.put("source", modelOptions.model.toString());
        node.put("ranking", scores != null ? scores.toString() : ranking);
        try {
            JsonMappers.indented().writeValue(out.resolve(REPORT_FILE).toFile(), node);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out.resolve(REPORT_FILE) + ": " + e.getMessage(), e);
        }
        if (json) {
            Json.print(node);
        } else {
            System.out.println(report);
            report.configDiff().forEach((k, c) -> System.out.printf(Locale.ROOT, "  %s: %d -> %d%n", k, c.before(), c.after()));
            System.out.println("wrote " + out + " (" + REPORT_FILE + ")");
        }
    }

    private PrunePlan plan() {
        boolean sizes = hidden != null || ffn != null || heads != null || kvHeads != null || layers != null || dropLayers != null;
        if (plan != null) {
            if (sizes) {
                throw new InvalidInputException("give --plan " + plan + " or size options (--hidden, --ffn, ...), not both");
            }
            try {
                return PrunePlan.fromJson(Files.readString(plan));
            } catch (IOException e) {
                throw new InvalidInputException(plan + ": cannot read the plan: " + e.getMessage(), e);
            }
        }
        if (!sizes) {
            throw new InvalidInputException("nothing to prune: give --hidden, --ffn, --heads, --kv-heads, --layers, --drop-layers or --plan");
        }
        if (layers != null && dropLayers != null) {
            throw new InvalidInputException("give --layers " + layers + " or --drop-layers " + dropLayers + ", not both");
        }
        return new PrunePlan(hidden, ffn, heads, kvHeads, layers, dropLayers == null ? null : parseLayers(dropLayers));
    }

    /** "16-31" (inclusive), "3,5,7" or a mix such as "1,4-6". */
    static List<Integer> parseLayers(String spec) {
        List<Integer> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String s = part.strip();
            try {
                int dash = s.indexOf('-', 1);
                if (dash > 0) {
                    int a = Integer.parseInt(s.substring(0, dash).strip()), b = Integer.parseInt(s.substring(dash + 1).strip());
                    if (b < a) {
                        throw new InvalidInputException("--drop-layers: range " + s + " is empty (last < first)");
                    }
                    for (int l = a; l <= b; l++) {
                        out.add(l);
                    }
                } else {
                    out.add(Integer.parseInt(s));
                }
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--drop-layers: '" + s + "' is not a layer index or range (e.g. 16-31 or 3,5,7)");
            }
        }
        return out;
    }

    /** Saved scores, a fresh calibration on --data, or the data-free magnitude ranking (exactly one is given). */
    private ImportanceRanking ranking(Model model) {
        if (scores != null) {
            return loadScores(scores, model.config());
        }
        if (calibration.data != null) {
            return calibration.calibrate(model, modelOptions).scores(calibration.aggregation(), calibration.variant());
        }
        if (!ranking.equals("magnitude")) {
            throw new InvalidInputException("unknown --ranking '" + ranking + "' (known: magnitude)");
        }
        return WeightMagnitudeRanking.of(model);
    }

    /** Scores saved by {@code importance}; they must have been computed on a model of this shape. */
    static ImportanceRanking loadScores(Path dir, ModelConfig config) {
        ImportanceScores s = ImportanceScores.load(dir);
        ModelConfig c = s.config();
        if (c.numLayers() != config.numLayers() || c.hiddenSize() != config.hiddenSize()
                || c.numAttentionHeads() != config.numAttentionHeads() || c.intermediateSize() != config.intermediateSize()) {
            throw new InvalidInputException(dir + ": scores were computed for " + c + ", not for the model to prune (" + config + ")");
        }
        return s;
    }
}
