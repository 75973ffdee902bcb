package org.minitron4j.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.ImportanceScores;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code importance}: one calibration pass; writes the sufficient statistics (every aggregation stays available), the
 * score tables of the chosen aggregation, block importance and a JSON summary.
 */
@Command(name = "importance", description = "Estimate head, neuron, channel and layer importance from one calibration pass.")
final class ImportanceCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, description = "Calibration text: .txt, .jsonl (field text), .bin (uint16) or .npy tokens.")
    Path data;

    @Option(names = "--samples", defaultValue = "1024", description = "Calibration sequences (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--batch-agg", defaultValue = "l2", description = "Batch reduction: l2, mean or var (default: ${DEFAULT-VALUE}).")
    String batchAgg;

    @Option(names = "--seq-agg", defaultValue = "mean", description = "Sequence reduction: mean, l2 or var (default: ${DEFAULT-VALUE}).")
    String seqAgg;

    @Option(names = "--mlp-variant", defaultValue = "paper", description = "Neuron scores: paper (pre-activation) or modelopt (down_proj input) (default: ${DEFAULT-VALUE}).")
    String mlpVariant;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "1234", description = "Seed of the sampled windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "Output folder (created).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        if (!Files.isRegularFile(data)) {
            throw new InvalidInputException(data + ": data file not found");
        }
        Aggregation agg = Aggregation.of(batchAgg, seqAgg);
        MlpVariant variant = MlpVariant.parse(mlpVariant);
        long started = System.nanoTime();
        try (Model model = modelOptions.load(); Tokenizer tok = TokenSource.isPreTokenized(data) ? null : modelOptions.tokenizer()) {
            int[] tokens = TokenSource.read(data, tok);
            TokenSource.checkVocab(tokens, model.config().vocabSize(), data.toString());
            ActivationStats stats = Calibration.run(model, tokens, samples, seqLen, seed, batchSize,
                    json ? Progress.NONE : Progress.stderr());
            double seconds = (System.nanoTime() - started) / 1e9;
            stats.save(out);
            ImportanceScores scores = stats.scores(agg, variant);
            scores.save(out);
            stats.table(agg).write().csv(out.resolve("all_scores.csv").toFile());
            stats.blockImportanceTable().write().csv(out.resolve("block_importance.csv").toFile());
            ObjectNode o = Json.object();
            o.put("samples", samples);
            o.put("seq_len", seqLen);
            o.put("tokens", stats.tokens());
            o.put("aggregation", agg.label());
            o.put("mlp_variant", variant.label());
            o.put("seed", seed);
            o.put("batch_size", batchSize);
            o.put("data", data.toString());
            o.put("out", out.toString());
            o.put("seconds", Math.round(seconds * 1000) / 1000.0);
            Json.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.resolve("summary.json").toFile(), o);
            if (json) {
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "importance of %d samples × %d tokens (%s, neurons %s) in %.1f s → %s%n",
                        samples, seqLen, agg.label(), variant.label(), seconds, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out, e);
        }
    }
}
