package org.minitron4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Aggregation;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.importance.CalibrationOptions;
import org.minitron4j.importance.MlpVariant;
import org.minitron4j.model.Transformer;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Option;

/** Calibration options shared by {@code importance} and {@code prune} (which calibrates when given no scores). */
final class CalibrationFlags {
    @Option(names = "--data", description = "Calibration text: .txt, .jsonl (field text), .bin (uint16) or .npy tokens.")
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

    Aggregation aggregation() {
        return Aggregation.of(batchAgg, seqAgg);
    }

    MlpVariant variant() {
        return MlpVariant.parse(mlpVariant);
    }

    /** One calibration pass over {@code --data} (tokenized with the model's tokenizer when it is text). */
    ActivationStats calibrate(Transformer model, ModelOptions modelOptions) {
        if (data == null) {
            throw new InvalidInputException("--data FILE is required to calibrate");
        }
        if (!Files.isRegularFile(data)) {
            throw new InvalidInputException(data + ": data file not found");
        }
        Flags.atLeast("--samples", samples, 1);
        Flags.atLeast("--seq-len", seqLen, 1);
        Flags.atLeast("--batch-size", batchSize, 1);
        aggregation(); // fail on a bad aggregation before the long pass
        variant();
        try (Tokenizer tok = TokenSource.isPreTokenized(data) ? null : modelOptions.tokenizer()) {
            int[] tokens = TokenSource.read(data, tok);
            TokenSource.checkVocab(tokens, model.config().vocabSize(), data.toString());
            return Calibration.run(model, tokens, new CalibrationOptions(samples, seqLen, batchSize, seed, Calibration.DEFAULT_BLOCKS), Progress.stderr());
        }
    }
}
