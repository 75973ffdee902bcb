package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import java.util.List;
import org.minitron4j.eval.LmLoss;
import org.minitron4j.eval.LmLossOptions;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.eval.MultipleChoice;
import org.minitron4j.eval.MultipleChoiceItem;
import org.minitron4j.eval.MultipleChoiceResult;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.eval.WinograndeResult;
import org.minitron4j.model.Transformer;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: LM loss over a data file, Winogrande, or generic multiple choice. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a model: --task lm-loss | winogrande | multiple-choice.")
final class EvalCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    StreamOptions streamOptions;

    @Option(names = "--task", required = true, description = "lm-loss, winogrande or multiple-choice")
    String task;

    @Option(names = "--data", required = true, description = "lm-loss: .txt, .jsonl (field text), .bin (uint16) or .npy tokens.")
    Path data;

    @Option(names = "--seq-len", description = "Window length in predicted tokens (default: the model's context, at most 2048).")
    Integer seqLen;

    @Option(names = "--batch-size", defaultValue = "8", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--append-eos", description = "lm-loss on text: append an EOS after every document and score the"
            + " file as one stream (Megatron's EOD convention, as training reads a corpus). Default: each document as"
            + " the tokenizer encodes it (e.g. BOS first), nothing appended, scored on its own (lm-evaluation-harness).")
    boolean appendEos;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--limit", defaultValue = "0", description = "winogrande / multiple-choice: score only the first N items (0 = all).")
    int limit;

    @Option(names = "--shots", defaultValue = "0", description = "winogrande: few-shot examples per item (default: ${DEFAULT-VALUE}).")
    int shots;

    @Option(names = "--fewshot-data", description = "winogrande: JSONL the few-shot examples are drawn from.")
    Path fewshotData;

    @Option(names = "--seed", defaultValue = "1234", description = "winogrande: few-shot sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--predictions", description = "winogrande / multiple-choice: write per-item scores and predictions (JSONL).")
    Path predictions;

    @Option(names = "--batch-tokens", defaultValue = "8192", description = "winogrande / multiple-choice: tokens per forward batch (default: ${DEFAULT-VALUE}).")
    int batchTokens;

    @Override
    public void run() {
        if (!Files.isRegularFile(data)) {
            throw new InvalidInputException(data + ": data file not found");
        }
        switch (task) {
            case "lm-loss" -> lmLoss();
            case "winogrande" -> winogrande();
            case "multiple-choice" -> multipleChoice();
            default -> throw new InvalidInputException("unknown --task '" + task + "' (use lm-loss, winogrande or multiple-choice)");
        }
    }

    private void lmLoss() {
        if (seqLen != null) {
            Flags.atLeast("--seq-len", seqLen, 1);
        }
        Flags.atLeast("--batch-size", batchSize, 1);
        boolean preTokenized = TokenSource.isPreTokenized(data);
        if (appendEos && preTokenized) {
            throw new InvalidInputException("--append-eos applies to text data (.txt, .jsonl); " + data
                    + " holds token ids, which are scored as given");
        }
        try (Transformer model = streamOptions.open(modelOptions); Tokenizer tok = preTokenized ? null : modelOptions.tokenizer()) {
            if (appendEos && tok.eosTokenId().isEmpty()) {
                throw new InvalidInputException("--append-eos: the tokenizer " + tok.source() + " has no EOS token");
            }
            TokenSource.Documents docs = TokenSource.documents(data, tok, appendEos);
            TokenSource.checkVocab(docs.tokens(), model.config().vocabSize(), data.toString());
            LmLossOptions options = new LmLossOptions(seqLen != null ? seqLen : 0, batchSize, Set.of());
            int len = options.seqLenFor(model);
            Flags.fitsContext("--seq-len " + len, len, model.config().maxSequenceLength());
            // a token file or the EOD convention: one stream; text by default: each document on its own
            LmLoss.Result r = preTokenized || appendEos
                    ? LmLoss.evaluate(model, docs.tokens(), options, Progress.stderr())
                    : LmLoss.evaluate(model, docs, options, Progress.stderr());
            if (json) {
                ObjectNode o = Json.object();
                o.put("task", "lm-loss");
                o.put("loss", r.loss());
                o.put("perplexity", r.perplexity());
                o.put("tokens", r.tokens());
                o.put("seq_len", len);
                o.put("data", data.toString());
                o.put("append_eos", appendEos);
                o.put("documents", docs.count());
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "lm-loss %.6f  perplexity %.4f  tokens %d%n", r.loss(), r.perplexity(), r.tokens());
            }
        }
    }

    private void winogrande() {
        List<WinograndeItem> items = Winogrande.load(data);
        WinograndeOptions options = WinograndeOptions.defaults().withLimit(limit);
        if (shots > 0) {
            if (fewshotData == null) {
                throw new InvalidInputException("--shots " + shots + " needs --fewshot-data FILE.jsonl to draw examples from");
            }
            options = options.withFewshot(shots, Winogrande.load(fewshotData), seed);
        }
        try (Transformer model = streamOptions.open(modelOptions); Tokenizer tok = modelOptions.tokenizer()) {
            WinograndeResult r = Winogrande.evaluate(items, tok, new ModelScorer(model, batchTokens, Progress.stderr()), options);
            if (predictions != null) {
                r.writePredictions(predictions);
            }
            if (json) {
                ObjectNode o = Json.object();
                o.put("task", "winogrande");
                o.put("acc", r.acc());
                o.put("acc_stderr", r.accStderr());
                o.put("n", r.n());
                o.put("shots", shots);
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "winogrande acc %.4f ± %.4f  (n = %d, %d-shot)%n", r.acc(), r.accStderr(), r.n(), shots);
            }
        }
    }

    private void multipleChoice() {
        List<MultipleChoiceItem> items = MultipleChoice.load(data);
        try (Transformer model = streamOptions.open(modelOptions); Tokenizer tok = modelOptions.tokenizer()) {
            MultipleChoiceResult r = MultipleChoice.evaluate(items, tok, new ModelScorer(model, batchTokens, Progress.stderr()), limit);
            if (predictions != null) {
                r.writePredictions(predictions);
            }
            if (json) {
                ObjectNode o = Json.object();
                o.put("task", "multiple-choice");
                o.put("acc", r.acc());
                o.put("acc_stderr", r.accStderr());
                o.put("acc_norm", r.accNorm());
                o.put("acc_norm_stderr", r.accNormStderr());
                o.put("n", r.n());
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "multiple-choice acc %.4f ± %.4f  acc_norm %.4f ± %.4f  (n = %d)%n", r.acc(),
                        r.accStderr(), r.accNorm(), r.accNormStderr(), r.n());
            }
        }
    }
}
