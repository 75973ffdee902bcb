package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.JsonMappers;
import org.minitron4j.OutputFolder;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code importance}: one calibration pass; writes the sufficient statistics (every aggregation stays available), the
 * score tables of the chosen aggregation, block importance and a JSON summary.
 */
@Command(name = "importance", mixinStandardHelpOptions = true, description = "Estimate head, neuron, channel and layer importance from one calibration pass.")
final class ImportanceCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    StreamOptions streamOptions;

    @Mixin
    CalibrationFlags calibration;

    @Option(names = "--out", required = true, description = "Output folder (created).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        Aggregation agg = calibration.aggregation();
        MlpVariant variant = calibration.variant();
        long started = System.nanoTime();
        try (OutputFolder claim = overwrite.claim(out);
             Transformer model = streamOptions.open(modelOptions)) {
            ActivationStats stats = calibration.calibrate(model, modelOptions);
            double seconds = (System.nanoTime() - started) / 1e9;
            stats.save(out);
            ImportanceScores scores = stats.scores(agg, variant);
            scores.save(out);
            stats.table(agg).write().csv(out.resolve("all_scores.csv").toFile());
            stats.blockImportanceTable().write().csv(out.resolve("block_importance.csv").toFile());
            ObjectNode o = Json.object();
            o.put("samples", calibration.samples);
            o.put("seq_len", calibration.seqLen);
            o.put("tokens", stats.tokens());
            o.put("aggregation", agg.label());
            o.put("mlp_variant", variant.label());
            o.put("seed", calibration.seed);
            o.put("batch_size", calibration.batchSize);
            o.put("data", calibration.data.toString());
            o.put("out", out.toString());
            o.put("seconds", Math.round(seconds * 1000) / 1000.0);
            JsonMappers.indented().writeValue(out.resolve("summary.json").toFile(), o);
            if (json) {
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "importance of %d samples × %d tokens (%s, neurons %s) in %.1f s → %s%n",
                        calibration.samples, calibration.seqLen, agg.label(), variant.label(), seconds, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }
}
