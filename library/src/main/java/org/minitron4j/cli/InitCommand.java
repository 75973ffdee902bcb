package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.model.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code init}: a Hugging Face checkpoint folder with random weights of the shape in a config.json. */
@Command(name = "init", description = "Write a Hugging Face model folder with random weights (normal(0, initializer_range),"
        + " norm gains one, biases zero) of the shape in a config.json, sharded like real checkpoints, tensor by tensor"
        + " without holding the model in memory. No tokenizer is written.")
final class InitCommand implements Runnable {

    @Option(names = "--config", required = true, description = "A Hugging Face config.json (or a folder holding one).")
    Path config;

    @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed: same seed and config, same bytes (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--shard-size", defaultValue = "5GiB", description = "Largest safetensors file: bytes, or with a unit "
            + "KB/MB/GB (powers of 1000) or KiB/MiB/GiB (powers of 1024); 0 = one file (default: ${DEFAULT-VALUE}).")
    String shardSize;

    @Option(names = "--threads", description = "Threads generating values (default: one per core); any count gives the same bytes.")
    Integer threads;

    @Option(names = "--out", required = true, description = "Output folder: new or empty (or --overwrite).")
    Path out;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print one JSON object: folder, parameters, bytes, shards, seconds.")
    boolean json;

    @Override
    public void run() {
        RandomCheckpoint.Options options = RandomCheckpoint.Options.defaults().withDtype(parseDtype(dtype)).withSeed(seed)
                .withMaxShardBytes(ByteSizes.parse("--shard-size", shardSize));
        if (threads != null) {
            options = options.withThreads(threads);
        }
        RandomCheckpoint.Summary s = RandomCheckpoint.write(config, out, options, overwrite.mode());
        if (json) {
            ObjectNode node = Json.object();
            node.put("folder", s.folder().toString());
            node.put("dtype", s.dtype().safetensorsName());
            node.put("seed", s.seed());
            node.put("parameters", s.parameters());
            node.put("bytes", s.bytes());
            node.put("shards", s.shards());
            node.put("seconds", s.seconds());
            node.put("tokenizer", false);
            Json.print(node);
        } else {
            System.out.printf(Locale.ROOT, "%s%nparameters: %,d%nwrote %s: %,d bytes in %d safetensors file%s, %s, seed %d,"
                    + " %.1f s%nno tokenizer (random weights have none): pass --tokenizer to commands that need one%n",
                    s.config(), s.parameters(), s.folder(), s.bytes(), s.shards(), s.shards() == 1 ? "" : "s",
                    s.dtype().safetensorsName(), s.seed(), s.seconds());
        }
    }

    static DType parseDtype(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "bf16": case "bfloat16": return DType.BF16;
            case "f16": case "fp16": case "float16": return DType.F16;
            case "f32": case "fp32": case "float32": return DType.F32;
            default: throw new InvalidInputException("--dtype '" + name + "': unknown (use bf16, f16 or f32)");
        }
    }
}
