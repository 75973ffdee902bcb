package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import org.minitron4j.Progress;
import org.minitron4j.data.TokenSource;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.distill.HiddenLoss;
import org.minitron4j.distill.LayerMapping;
import org.minitron4j.distill.LogitLoss;
import org.minitron4j.distill.LossWeighting;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Devices;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.train.Checkpointing;
import org.minitron4j.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code distill}: retrain a student from a frozen teacher (or CLM-only without {@code --teacher}); writes the student
 * as an HF checkpoint, {@code distill_config.json}, {@code training_log.csv} and resumable checkpoints under
 * {@code OUT/checkpoints}.
 */
@Command(name = "distill", description = "Distil a teacher into a (pruned) student; without --teacher, CLM-only retraining.")
final class DistillCommand implements Runnable {
    static final String CONFIG_FILE = "distill_config.json", LOG_FILE = "training_log.csv", CHECKPOINTS = "checkpoints";

    @Option(names = "--teacher", description = "Teacher model folder (omit for the CLM-only baseline).")
    Path teacher;

    @Option(names = "--student", required = true, description = "Student model folder (e.g. the pruned model).")
    Path student;

    @Option(names = "--random-init", description = "Start from random weights with the student's config (the from-scratch baseline).")
    boolean randomInit;

    @Option(names = "--data", required = true, description = "Training data: .txt/.jsonl (tokenized with the student's tokenizer), .bin or .npy.")
    Path data;

    @Option(names = "--validation", description = "Held-out data for the validation loss.")
    Path validation;

    @Option(names = "--tokens", required = true, description = "Training tokens; steps = ceil(tokens / (batch-size × seq-len)).")
    long tokens;

    @Option(names = "--logit-loss", defaultValue = "kld", description = "kld, rkld, jsd, tvd, mse or cosine (default: ${DEFAULT-VALUE}).")
    String logitLoss;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Softmax temperature τ (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--no-temperature-squared", description = "Do not multiply the logit loss by τ² (Megatron convention).")
    boolean noTemperatureSquared;

    @Option(names = "--top-k", defaultValue = "0", description = "Restrict the logit loss to the teacher's top-k tokens (0 = all).")
    int topK;

    @Option(names = "--jsd-beta", defaultValue = "0.5", description = "β of the generalised JSD (default: ${DEFAULT-VALUE}).")
    double jsdBeta;

    @Option(names = "--intermediate", defaultValue = "none", description = "Hidden-state pairs: none, last-N, uniform, uniform-K or S:T,... (default: ${DEFAULT-VALUE}).")
    String intermediate;

    @Option(names = "--intermediate-loss", defaultValue = "cosine", description = "cosine or mse (default: ${DEFAULT-VALUE}).")
    String intermediateLoss;

    @Option(names = "--alpha", defaultValue = "dynamic", description = "Weight of the intermediate loss: dynamic, balancer or a number (default: ${DEFAULT-VALUE}).")
    String alpha;

    @Option(names = "--clm-weight", description = "Weight of the CLM loss (default: 0 with a teacher, 1 without).")
    Double clmWeight;

    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}); cosine to lr/10 after the warmup.")
    double lr;

    @Option(names = "--warmup-steps", description = "Linear warmup steps before the cosine decay (default: 10%% of the steps, at least 1).")
    Integer warmupSteps;

    @Option(names = "--batch-size", defaultValue = "8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seq-len", defaultValue = "256", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the batch sampling and the projection init (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eval-every", defaultValue = "0", description = "Validate every N steps (0 = only at the end).")
    int evalEvery;

    @Option(names = "--eval-tokens", defaultValue = "65536", description = "Validation tokens used (default: ${DEFAULT-VALUE}).")
    int evalTokens;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Save a resumable checkpoint every N steps (always at the end).")
    int checkpointEvery;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--resume", description = "Continue the run in --out from its newest complete checkpoint.")
    boolean resume;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public void run() {
        if (tokens <= 0) {
            throw new InvalidInputException("--tokens must be > 0, got " + tokens);
        }
        requireDir(student, "--student");
        if (teacher != null) {
            requireDir(teacher, "--teacher");
        }
        if (!Files.isRegularFile(data)) {
            throw new InvalidInputException("--data " + data + ": file not found");
        }
        if (validation != null && !Files.isRegularFile(validation)) {
            throw new InvalidInputException("--validation " + validation + ": file not found");
        }
        if (batchSize <= 0 || seqLen <= 0) {
            throw new InvalidInputException("--batch-size and --seq-len must be > 0, got " + batchSize + " and " + seqLen);
        }
        long perStep = (long) batchSize * seqLen;
        int steps = Math.toIntExact((tokens + perStep - 1) / perStep);
        TrainConfig train = TrainConfig.of(steps, batchSize, seqLen, lr).withSeed(seed)
                .withLogging(Math.max(1, steps / 100), evalEvery, validation == null ? 0 : evalTokens);
        if (warmupSteps != null) {
            if (warmupSteps < 0 || warmupSteps > steps) {
                throw new InvalidInputException("--warmup-steps must be between 0 and the run's " + steps + " steps, got " + warmupSteps);
            }
            train = train.withWarmupSteps(warmupSteps);
        }
        DistillationConfig cfg = config(train);
        try (OutputFolder claim = overwrite.claim(out, resume, CONFIG_FILE)) {
            distill(cfg);
        }
    }

    private void distill(DistillationConfig cfg) {
        Path configFile = out.resolve(CONFIG_FILE);
        if (resume && Files.isRegularFile(configFile)) {
            DistillationConfig saved = DistillationConfig.load(configFile);
            if (!saved.equals(cfg)) {
                throw new InvalidInputException("--resume: " + configFile + " holds a different config (" + saved
                        + ") than this command line (" + cfg + ")");
            }
        }
        System.err.println("distill: " + cfg);
        var dev = Devices.parse(device);
        try (Model s = randomInit ? Model.random(ModelConfig.fromHuggingFace(student), dev, seed) : Checkpoints.load(student, dev);
             Model t = teacher == null ? null : Checkpoints.load(teacher, dev)) {
            if (t != null && t.config().vocabSize() != s.config().vocabSize()) {
                throw new InvalidInputException("vocabulary mismatch: --teacher " + teacher + " has vocab_size "
                        + t.config().vocabSize() + ", --student " + student + " has " + s.config().vocabSize());
            }
            int[] trainTokens = read(data, "--data", s.config().vocabSize());
            int[] validationTokens = validation == null ? null : read(validation, "--validation", s.config().vocabSize());
            cfg.save(configFile);
            Checkpointing ck = Checkpointing.to(out.resolve(CHECKPOINTS)).withEvery(checkpointEvery).withResume(resume);
            Distillation.Result r = Distillation.of(t, cfg).withCheckpointing(ck).withProgress(Progress.stderr()).run(s, trainTokens, validationTokens);
            Checkpoints.save(s, out, Checkpoints.SaveOptions.defaults().withTokenizerFrom(student));
            r.log().writeCsv(out.resolve(LOG_FILE));
            if (json) {
                ObjectNode o = Json.object();
                if (Double.isNaN(r.validationLoss())) {
                    o.putNull("validation_loss");
                } else {
                    o.put("validation_loss", r.validationLoss());
                }
                o.put("tokens", r.tokens());
                o.put("steps", r.steps());
                o.put("seconds", r.seconds());
                o.put("out", out.toString());
                Json.print(o);
            } else {
                System.out.printf(Locale.ROOT, "distilled: %s → %s%n", r, out);
            }
        }
    }

    private DistillationConfig config(TrainConfig train) {
        LayerMapping mapping = LayerMapping.parse(intermediate);
        if (teacher == null) {
            if (!mapping.isEmpty()) {
                throw new InvalidInputException("--intermediate " + intermediate + " needs --teacher");
            }
            return DistillationConfig.clmOnly(train).withClmWeight(clmWeight == null ? 1.0 : clmWeight);
        }
        DistillationConfig c = DistillationConfig.defaults(train)
                .withLogitLoss(LogitLoss.parse(logitLoss))
                .withTemperature(temperature, !noTemperatureSquared)
                .withJsdBeta(jsdBeta)
                .withTopK(topK)
                .withIntermediate(mapping, HiddenLoss.parse(intermediateLoss))
                .withClmWeight(clmWeight == null ? 0.0 : clmWeight);
        switch (alpha.toLowerCase(Locale.ROOT)) {
            case "dynamic": return c.withWeighting(LossWeighting.DYNAMIC);
            case "balancer": return c.withWeighting(LossWeighting.BALANCER);
            default:
                try {
                    return c.withFixedAlpha(Double.parseDouble(alpha));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("--alpha must be dynamic, balancer or a number, got '" + alpha + "'");
                }
        }
    }

    private int[] read(Path file, String option, int vocab) {
        Tokenizer tok = null;
        try {
            if (!TokenSource.isPreTokenized(file)) {
                if (!Files.exists(student.resolve("tokenizer.json"))) {
                    throw new InvalidInputException(option + " " + file + " is text, but " + student
                            + " has no tokenizer.json; use pre-tokenized data (.bin/.npy)");
                }
                tok = Tokenizer.load(student);
            }
            int[] t = TokenSource.read(file, tok);
            TokenSource.checkVocab(t, vocab, option + " " + file);
            return t;
        } finally {
            if (tok != null) {
                tok.close();
            }
        }
    }

    private static void requireDir(Path dir, String option) {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new InvalidInputException(option + " " + dir + ": no config.json (not a model folder)");
        }
    }
}
