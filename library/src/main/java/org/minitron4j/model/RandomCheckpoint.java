package org.minitron4j.model;

import io.soabase.recordbuilder.core.RecordBuilder;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.minitron4j.InvalidInputException;
import org.minitron4j.OutputFolder;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensorsWriter;

/**
 * A Hugging Face checkpoint folder of any shape with random weights, for tests, benchmarks and trying a shape: {@code
 * config.json} (the given one, every key kept, {@code torch_dtype} set), {@code generation_config.json} and the
 * weights, sharded as {@link Checkpoints#save} shards them. No tokenizer is written (there is none to copy). The model is
 * never held in memory: each tensor's values are generated a chunk at a time straight into its file through {@link
 * SafeTensorsWriter#writeRaw}, so memory stays a few chunks whatever the shape (an 8B model is 16 GB in bf16).
 *
 * <p>Values follow Hugging Face's {@code _init_weights}: linear and embedding weights ~ N(0, σ) with σ the config's
 * {@code initializer_range} (default {@value #DEFAULT_INITIALIZER_RANGE}), biases 0, norm gains one (stored as 0 for
 * Nemotron's LayerNorm, which multiplies by {@code w + 1}). Each value is drawn in f32 and rounded to the dtype to
 * nearest even. A value is a function of (seed, tensor name, element index) alone, a counter-based Box–Muller
 * transform of splitmix64 outputs, so the bytes are the same for any chunk size and thread count.
 *
 * <p>Llama-family architectures (Llama, Mistral, Qwen2, Nemotron); GPT-2 (fused Conv1D weights) is rejected.
 */
public final class RandomCheckpoint {
    /** The weight σ when config.json has no {@code initializer_range}, as in transformers. */
    public static final double DEFAULT_INITIALIZER_RANGE = 0.02;
    // Values generated per step: 4 MiB of floats, split among the threads.
    static final int CHUNK = 1 << 20;
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    private RandomCheckpoint() {
    }

    /**
     * How to write: element type (F32, F16 or BF16), seed, the largest shard in bytes (0 = one file) and the threads
     * generating values (any count gives the same bytes).
     */
    @RecordBuilder
    public record Options(DType dtype, long seed, long maxShardBytes, int threads)
            implements RandomCheckpointOptionsBuilder.With {
        public Options {
            if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
                throw new InvalidInputException("random weights can be written as F32, F16 or BF16, not " + dtype);
            }
            if (maxShardBytes < 0) {
                throw new InvalidInputException("the shard size must be >= 0 bytes (0: one file), got " + maxShardBytes);
            }
            if (threads < 1) {
                throw new InvalidInputException("threads must be >= 1, got " + threads);
            }
        }

        /** BF16, seed 0, shards of {@link Checkpoints.SaveOptions#defaults()}, one thread per core. */
        public static Options defaults() {
            return new Options(DType.BF16, 0, Checkpoints.SaveOptions.defaults().maxShardBytes(),
                    Runtime.getRuntime().availableProcessors());
        }

    }

    /**
     * What was written: the folder, its config, the parameter count, the bytes of all its files, the number of
     * safetensors files, and the seconds it took.
     */
    public record Summary(Path folder, ModelConfig config, DType dtype, long seed, long parameters, long bytes, int shards,
                          double seconds) {
    }

    /**
     * Writes a checkpoint of the shape in {@code config} (a {@code config.json} file, or a model folder holding one)
     * into {@code out}, which must be new or empty (or claimed by the caller, see {@link OutputFolder}). The weights are
     * written first and {@code config.json} last, so a killed write leaves a folder that loads as nothing.
     *
     * @throws InvalidInputException naming the file or folder if config.json is missing, not valid or a GPT-2 config,
     *     if its {@code initializer_range} is not a positive number, or if {@code out} holds another run's files
     * @throws UncheckedIOException if writing fails
     */
    public static Summary write(Path config, Path out, Options options) {
        return write(config, out, options, OutputFolder.Mode.FRESH);
    }

    /**
     * {@link #write} claiming {@code out} in {@code mode} (e.g. {@link OutputFolder.Mode#OVERWRITE}) once the config has
     * been read and checked, so bad input leaves the folder as it was.
     */
    public static Summary write(Path config, Path out, Options options, OutputFolder.Mode mode) {
        return write(config, out, options, mode, CHUNK);
    }

    /** {@link #write} generating {@code chunkElements} values per step: small values test the chunking. */
    static Summary write(Path config, Path out, Options options, int chunkElements) {
        return write(config, out, options, OutputFolder.Mode.FRESH, chunkElements);
    }

    private static Summary write(Path config, Path out, Options options, OutputFolder.Mode mode, int chunkElements) {
        long start = System.nanoTime();
        Path file = ModelConfig.configFile(config);
        ObjectNode json = ModelConfig.readJson(config);
        ModelConfig c = ModelConfig.fromJson(json, file);
        if (c.architecture() == ModelConfig.Architecture.GPT2) {
            throw new InvalidInputException(file + ": GPT-2 checkpoints (q, k, v fused in c_attn, Conv1D weights) cannot be"
                    + " initialised this way; supported model types: llama, mistral, qwen2, nemotron");
        }
        double std = initializerRange(json, file);
        Path target = out.toAbsolutePath().normalize();
        // Checkpoints.writeFolder claims the folder (nested in a caller's claim it passes) and writes config.json
        // last, so a killed write leaves a folder that loads as nothing.
        try (Generator generator = new Generator(options.threads(), chunkElements)) {
            SafeTensorsWriter.Encoder encoder = new SafeTensorsWriter.Encoder(options.dtype());
            List<SafeTensorsWriter.RawTensor> tensors = new ArrayList<>();
            for (Map.Entry<String, Shape> e : WeightNames.layout(c).entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue().getShape();
                long numel = e.getValue().size();
                float constant = name.endsWith(".bias") ? 0f : WeightNames.isNorm(name) ? c.norm().unitGain() : Float.NaN;
                long key = tensorKey(options.seed(), name);
                tensors.add(new SafeTensorsWriter.RawTensor(name, options.dtype(), shape,
                        sink -> generator.write(numel, constant, key, std, encoder, sink)));
            }
            Checkpoints.writeFolder(target, mode, () -> SafeTensorsWriter.writeRaw(target, tensors,
                    options.maxShardBytes(), Checkpoints.WEIGHTS_METADATA), json, c, options.dtype(), null);
        }
        long bytes = 0;
        int shards = 0;
        try (Stream<Path> files = Files.list(target)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                bytes += Files.size(f);
                shards += f.getFileName().toString().endsWith(".safetensors") ? 1 : 0;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot list the written checkpoint: " + e.getMessage(), e);
        }
        return new Summary(target, c, options.dtype(), options.seed(), c.parameterCount(), bytes, shards,
                (System.nanoTime() - start) / 1e9);
    }

    private static double initializerRange(JsonNode json, Path file) {
        JsonNode v = json.get("initializer_range");
        if (v == null || v.isNull()) {
            return DEFAULT_INITIALIZER_RANGE;
        }
        if (!v.isNumber() || !(v.doubleValue() > 0) || Double.isInfinite(v.doubleValue())) {
            throw new InvalidInputException(file + ": key 'initializer_range' must be a positive number, got " + v);
        }
        return v.doubleValue();
    }

    /** Deletes a folder of plain files, if present (the temporary folder holds nothing else). */
    /** The stream key of a tensor: mixes the seed with a 64-bit FNV-1a hash of the name. */
    static long tensorKey(long seed, String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return mix64(mix64(seed) ^ h);
    }

    /** splitmix64's output function: a bijection of longs whose outputs pass BigCrush for consecutive inputs. */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Puts values {@code first .. first + n - 1} of the N(0, std) stream {@code key} into {@code dst[from ..]}. Values
     * 2p and 2p + 1 are the cosine and sine of one Box–Muller pair drawn from counters 2p + 1 and 2p + 2.
     */
    static void normals(long key, double std, long first, float[] dst, int from, int n) {
        long i = first;
        for (int o = from, end = from + n; o < end; ) {
            long pair = i >>> 1;
            long a = mix64(key + (2 * pair + 1) * GOLDEN_GAMMA), b = mix64(key + (2 * pair + 2) * GOLDEN_GAMMA);
            double r = std * Math.sqrt(-2 * Math.log(((a >>> 11) + 1) * 0x1p-53)); // uniform in (0, 1]
            double theta = 2 * Math.PI * ((b >>> 11) * 0x1p-53);
            if ((i & 1) == 0) {
                dst[o++] = (float) (r * Math.cos(theta));
                i++;
            }
            if (o < end) {
                dst[o++] = (float) (r * Math.sin(theta));
                i++;
            }
        }
    }

    /** Fills one reused chunk of values at a time, split among threads, and hands it to the encoder. */
    private static final class Generator implements AutoCloseable {
        private final float[] chunk;
        private final int threads;
        private final ExecutorService pool;

        Generator(int threads, int chunkElements) {
            this.threads = threads;
            this.chunk = new float[chunkElements];
            this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "random-checkpoint");
                t.setDaemon(true);
                return t;
            });
        }

        /** Writes {@code numel} values: {@code constant}, or normals of stream {@code key} where it is NaN. */
        void write(long numel, float constant, long key, double std, SafeTensorsWriter.Encoder encoder,
                   SafeTensorsWriter.ByteSink sink) throws IOException {
            if (!Float.isNaN(constant)) {
                Arrays.fill(chunk, constant);
            }
            for (long done = 0; done < numel; ) {
                int n = (int) Math.min(chunk.length, numel - done);
                if (Float.isNaN(constant)) {
                    fill(key, std, done, n);
                }
                encoder.encode(FloatBuffer.wrap(chunk, 0, n), sink);
                done += n;
            }
        }

        private void fill(long key, double std, long first, int n) throws IOException {
            if (pool == null) {
                normals(key, std, first, chunk, 0, n);
                return;
            }
            int slice = (n + threads - 1) / threads;
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int from = 0; from < n; from += slice) {
                int f = from, len = Math.min(slice, n - from);
                tasks.add(() -> {
                    normals(key, std, first + f, chunk, f, len);
                    return null;
                });
            }
            try {
                for (Future<Void> done : pool.invokeAll(tasks)) {
                    done.get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while generating weights");
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }

        @Override
        public void close() {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }
}
