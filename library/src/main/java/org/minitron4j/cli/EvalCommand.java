package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: LM loss over a data file. */
@Command(name = "eval", description = "Evaluate a model: --task lm-loss.")
final class EvalCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", required = true, description = "lm-loss")
    String task;

    @Option(names = "--data", required = true, description = "lm-loss: .txt, .jsonl (field text), .bin (uint16) or .npy tokens.")
    Path data;

    @Option(names = "--seq-len", description = "Window length in predicted tokens (default: the model's context, at most 2048).")
    Integer seqLen;

    @Option(names = "--batch-size", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public void run() {
        if (!Files.isRegularFile(data)) {
            throw new InvalidInputException(data + ": data file not found");
        }
        switch (task) {
            case "lm-loss" -> lmLoss();
            default -> throw new InvalidInputException("unknown --task '" + task + "' (use lm-loss)");
        }
    }

    private void lmLoss() {
        try (Model model = modelOptions.load(); Tokenizer tok = TokenSource.isPreTokenized(data) ? null : modelOptions.tokenizer()) {
            int[] tokens = TokenSource.read(data, tok);
            TokenSource.checkVocab(tokens, model.config().vocabSize(), data.toString());
            int len = seqLen != null ? seqLen : Math.min(2048, model.config().maxPositionEmbeddings());
            LmLoss.Result r = LmLoss.evaluate(model, tokens, len, batchSize, Progress.stderr());
            if (json) {
                ObjectNode o = Json.object();
                o.put("task", "lm-loss");
                o.put("loss", r.loss());
                o.put("perplexity", r.perplexity());
                o.put("tokens", r.tokens());
                o.put("seq_len", len);
                o.put("data", data.toString());
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "lm-loss %.6f  perplexity %.4f  tokens %d%n", r.loss(), r.perplexity(), r.tokens());
            }
        }
    }
}
