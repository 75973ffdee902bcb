package org.minitron4j.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.minitron4j.EngineThreads;
import org.minitron4j.Progress;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensorsWriter;
import org.minitron4j.distill.Distillation;
import org.minitron4j.distill.DistillationConfig;
import org.minitron4j.eval.Loglikelihood;
import org.minitron4j.eval.LoglikelihoodRequest;
import org.minitron4j.eval.LoglikelihoodScorer;
import org.minitron4j.eval.ModelScorer;
import org.minitron4j.eval.Winogrande;
import org.minitron4j.eval.WinograndeItem;
import org.minitron4j.eval.WinograndeOptions;
import org.minitron4j.importance.ActivationStats;
import org.minitron4j.importance.Calibration;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.Tokenizer;
import org.minitron4j.model.WeightNames;
import org.minitron4j.prune.CheckpointSurgery;
import org.minitron4j.prune.PruneOptions;
import org.minitron4j.prune.PrunePlan;
import org.minitron4j.prune.PruneReport;
import org.minitron4j.train.TrainConfig;
import org.minitron4j.train.TrainingLog;

/**
 * The Java side of {@code bench/run.sh}: one benchmark per JVM, one JSON line of results on stdout (everything else on
 * stderr). Not part of the library; run with the test classpath. Usage: {@code Bench <name> key=value...} with names
 * calib, distill, winogrande, surgery, write-8b, write-ckpt, load.
 */
public final class Bench {
    private static final JsonMapper JSON = new JsonMapper();

    private Bench() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 1; i < argv.length; i++) {
            String[] kv = argv[i].split("=", 2);
            a.put(kv[0], kv[1]);
        }
        EngineThreads.configure(); // the process settings the launcher and the notebook kernel make (threads, malloc)
        Device dev = "gpu".equals(a.getOrDefault("device", "cpu")) ? Device.gpu() : Device.cpu();
        ObjectNode out = JSON.createObjectNode();
        out.put("bench", argv[0]).put("side", "minitron4j").put("device", dev.toString());
        switch (argv[0]) {
            case "calib" -> calib(a, dev, out);
            case "distill" -> distill(a, dev, out);
            case "winogrande" -> winogrande(a, dev, out);
            case "surgery" -> surgery(a, out);
            case "write-8b" -> writeLlama8b(a, out);
            case "write-ckpt" -> writeCheckpoint(a, out);
            case "load" -> load(a, dev, out);
            default -> throw new IllegalArgumentException("unknown benchmark " + argv[0]);
        }
        out.put("load_avg", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println(JSON.writeValueAsString(out));
        System.out.flush();
        System.exit(0);
    }

    /** teacher: the bundled TinyWorld teacher's shape; large: hidden 512, 8 layers, 8/2 heads, ffn 1536. */
    static ModelConfig shape(String name) {
        return switch (name) {
            case "teacher" -> ModelConfig.llama(262, 192, 512, 6, 8, 2);
            case "large" -> ModelConfig.llama(262, 512, 1536, 8, 8, 2);
            default -> throw new IllegalArgumentException("shape " + name);
        };
    }

    static List<int[]> windows(int n, int t, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            w.add(r.ints(t, 0, vocab).toArray());
        }
        return w;
    }

    private static void calib(Map<String, String> a, Device dev, ObjectNode out) {
        ModelConfig c = shape(a.getOrDefault("shape", "teacher"));
        int samples = Integer.parseInt(a.getOrDefault("samples", "128"));
        int seq = Integer.parseInt(a.getOrDefault("seq", "128"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "16"));
        try (Model m = Model.random(c, dev, 1)) {
            List<int[]> w = windows(samples, seq, c.vocabSize(), 2);
            Calibration.run(m, w.subList(0, batch), batch, Progress.NONE); // warm-up
            long t0 = System.nanoTime();
            ActivationStats s = Calibration.run(m, w, batch, Progress.NONE);
            double secs = (System.nanoTime() - t0) / 1e9;
            if (s.samples() != samples) {
                throw new IllegalStateException("samples " + s.samples());
            }
            // stage split: the same windows through a plain forward (no capture, no reductions, no LM head)
            long f0 = System.nanoTime();
            for (int i = 0; i < samples; i += batch) {
                try (NDManager scope = m.manager().newSubManager()) {
                    int[][] ids = w.subList(i, Math.min(samples, i + batch)).toArray(new int[0][]);
                    m.forward(scope.create(ids), org.minitron4j.model.Forward.options().withoutLogits()).hidden().toFloatArray();
                }
            }
            double fwd = (System.nanoTime() - f0) / 1e9;
            out.put("shape", a.getOrDefault("shape", "teacher")).put("samples", samples).put("seq", seq).put("batch", batch)
                    .put("seconds", secs).put("samples_per_s", samples / secs).put("forward_seconds", fwd);
        }
    }

    /** Student: the teacher's shape with half the MLP width (a Minitron-style width-pruned student). */
    private static void distill(Map<String, String> a, Device dev, ObjectNode out) {
        ModelConfig tc = shape(a.getOrDefault("shape", "teacher"));
        ModelConfig sc = tc.withIntermediateSize(tc.intermediateSize() / 2);
        int steps = Integer.parseInt(a.getOrDefault("steps", "6"));
        int warm = Integer.parseInt(a.getOrDefault("warmup", "2"));
        int seq = Integer.parseInt(a.getOrDefault("seq", "128"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "16"));
        int[] tokens = new SplittableRandom(3).ints(200_000, 0, tc.vocabSize()).toArray();
        try (Model teacher = Model.random(tc, dev, 1); Model student = Model.random(sc, dev, 2)) {
            // windows of seq + 1 tokens: seq inputs and seq shifted targets
            TrainConfig train = TrainConfig.of(warm + steps, batch, seq, 1e-3).withLogging(1, 0, 0);
            Distillation.Result r = Distillation.of(teacher, DistillationConfig.defaults(train)).withProgress(Progress.NONE).run(student, tokens, null);
            TrainingLog log = r.log();
            double[] tps = log.table().doubleColumn("tokens_per_s").asDoubleArray();
            ArrayNode per = out.putArray("step_seconds");
            double sum = 0;
            for (int i = warm; i < tps.length; i++) {
                double s = train.tokensPerStep() / tps[i];
                per.add(s);
                sum += s;
            }
            out.put("shape", a.getOrDefault("shape", "teacher")).put("student_ffn", sc.intermediateSize())
                    .put("seq", seq).put("batch", batch).put("steps", steps)
                    .put("seconds", sum / steps).put("tokens_per_s", (double) batch * seq * steps / sum);
        }
    }

    /** Records the requests it is asked to score (to dump them for the PyTorch side), then scores with the model. */
    private static final class Recording implements LoglikelihoodScorer {
        final LoglikelihoodScorer inner;
        List<LoglikelihoodRequest> seen;

        Recording(LoglikelihoodScorer inner) {
            this.inner = inner;
        }

        @Override
        public List<Loglikelihood> score(List<LoglikelihoodRequest> requests) {
            seen = requests;
            return inner.score(requests);
        }
    }

    private static void winogrande(Map<String, String> a, Device dev, ObjectNode out) throws IOException {
        ModelConfig c = shape(a.getOrDefault("shape", "teacher"));
        Path data = Path.of(a.getOrDefault("data", "datasets/tinyworld/winogrande_dev.jsonl"));
        List<WinograndeItem> items = Winogrande.load(data);
        int shots = Integer.parseInt(a.getOrDefault("shots", "0"));
        WinograndeOptions opts = shots == 0 ? WinograndeOptions.defaults() : WinograndeOptions.defaults().withFewshot(shots,
                Winogrande.load(Path.of(a.getOrDefault("fewshot", "datasets/tinyworld/winogrande_train.jsonl"))), 1234);
        try (Tokenizer tok = Tokenizer.load(Path.of(a.getOrDefault("tokenizer", "datasets/tinyworld")));
             Model m = Model.random(c.withVocabSize(Math.max(c.vocabSize(), tok.vocabSize())), dev, 1)) {
            Recording rec = new Recording(new ModelScorer(m));
            Winogrande.evaluate(items, tok, rec, opts); // warm-up; records the token-id requests
            // the timed work is what the PyTorch side does: scoring these very requests (tokenisation is timed apart)
            long t0 = System.nanoTime();
            List<Loglikelihood> scores = new ModelScorer(m).score(rec.seen);
            double secs = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            var res = Winogrande.evaluate(items, tok, new ModelScorer(m), opts);
            double endToEnd = (System.nanoTime() - t1) / 1e9;
            long tokens = 0;
            for (LoglikelihoodRequest r : rec.seen) {
                tokens += r.context().length + r.continuation().length - 1; // fed tokens
            }
            out.put("shape", a.getOrDefault("shape", "teacher")).put("shots", shots).put("items", res.n())
                    .put("requests", rec.seen.size()).put("fed_tokens", tokens).put("seconds", secs)
                    .put("items_per_s", res.n() / secs).put("end_to_end_seconds", endToEnd);
            if (a.containsKey("dump")) { // the requests, the weights and these log-likelihoods for the PyTorch side
                Path weights = Path.of(a.get("dump") + ".model");
                Checkpoints.save(m, weights);
                ArrayNode reqs = JSON.createArrayNode();
                for (int i = 0; i < rec.seen.size(); i++) {
                    LoglikelihoodRequest r = rec.seen.get(i);
                    ObjectNode o = reqs.addObject();
                    ArrayNode ctx = o.putArray("context"), cont = o.putArray("continuation");
                    for (int x : r.context()) ctx.add(x);
                    for (int x : r.continuation()) cont.add(x);
                    o.put("logprob", scores.get(i).logProb()).put("greedy", scores.get(i).greedy());
                }
                ObjectNode d = JSON.createObjectNode();
                d.put("items", res.n()).put("max_batch_tokens", 8192).put("vocab", m.config().vocabSize())
                        .put("weights", weights.toString()).set("requests", reqs);
                Files.writeString(Path.of(a.get("dump")), JSON.writeValueAsString(d));
            }
        }
    }

    // ---- (d) checkpoint-to-checkpoint surgery of a Llama-3.1-8B-shaped bf16 checkpoint ----

    private record RandomRanking(ModelConfig c, long seed) implements ImportanceRanking {
        private double[] r(int n, long salt) {
            return new SplittableRandom(seed * 31 + salt).doubles(n).toArray();
        }
        @Override public double[] headScores(int layer) { return r(c.numAttentionHeads(), 1000 + layer); }
        @Override public double[] neuronScores(int layer) { return r(c.intermediateSize(), 2000 + layer); }
        @Override public double[] channelScores() { return r(c.hiddenSize(), 3); }
        @Override public double[] layerScores() { return r(c.numLayers(), 4); }
    }

    /** Llama-3.1-8B: vocab 128256, hidden 4096, ffn 14336, 32 layers, 32 query heads in 8 KV groups, untied head. */
    static ModelConfig llama8b(int layers) {
        return new ModelConfig.Builder(ModelConfig.llama(128256, 4096, 14336, layers, 32, 8))
                .rope(500000, new ModelConfig.RopeScaling(8, 1, 4, 8192)).maxPositionEmbeddings(131072).build();
    }

    /** Writes the bf16 checkpoint of {@code llama8b(layers=32)} in 5 GiB shards, as Hugging Face ships it. */
    private static void writeLlama8b(Map<String, String> a, ObjectNode out) throws IOException {
        ModelConfig c = llama8b(Integer.parseInt(a.getOrDefault("layers", "32")));
        writeBf16(c, Path.of(a.get("dir")), 5L << 30, out);
    }

    /**
     * {@code CheckpointSurgery.prune} of the checkpoint {@code dir} into {@code out} with the plan of
     * Llama-3.1-Minitron-4B-Width (hidden 3072, ffn 9216, heads unchanged) and seeded random scores; writes the report
     * (kept indices) to {@code indices} for the PyTorch reference. Peak RSS is the whole process's VmHWM.
     */
    private static void surgery(Map<String, String> a, ObjectNode out) throws IOException {
        Path dir = Path.of(a.get("dir")), target = Path.of(a.get("out"));
        ModelConfig c = ModelConfig.fromHuggingFace(dir);
        PrunePlan plan = PrunePlan.builder().hiddenSize(3072).intermediateSize(9216).build();
        long rss0 = procStatusKb("VmRSS");
        long t0 = System.nanoTime();
        PruneReport r = CheckpointSurgery.prune(dir, target, plan, new RandomRanking(c, 5), PruneOptions.defaults());
        double secs = (System.nanoTime() - t0) / 1e9;
        long hwm = procStatusKb("VmHWM");
        Files.writeString(Path.of(a.get("indices")), r.toJson());
        out.put("layers", c.numLayers()).put("vocab", c.vocabSize()).put("params", r.parametersBefore())
                .put("pruned_params", r.parametersAfter()).put("source_bytes", weightBytes(dir))
                .put("out_bytes", weightBytes(target)).put("seconds", secs)
                .put("rss_before_kb", rss0).put("peak_rss_kb", hwm).put("heap_max_bytes", Runtime.getRuntime().maxMemory());
    }

    /** Total size of a folder's safetensors files. */
    static long weightBytes(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            long n = 0;
            for (Path p : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
                n += Files.size(p);
            }
            return n;
        }
    }

    // ---- (e) checkpoint load ----

    /** hidden 2048, 24 layers, 16/4 heads, ffn 5632, vocab 32000: about 1.21 B parameters, 2.4 GB in bf16. */
    static ModelConfig loadShape() {
        return ModelConfig.llama(32000, 2048, 5632, 24, 16, 4);
    }

    /** Writes the bf16 checkpoint of {@link #loadShape()} as one file. */
    private static void writeCheckpoint(Map<String, String> a, ObjectNode out) throws IOException {
        writeBf16(loadShape(), Path.of(a.get("dir")), 0, out);
    }

    /**
     * Writes a bf16 checkpoint of random weights (uniform ±0.035, norm gains 1) and its config.json; tensors of one
     * shape share one random buffer, encoded once, so writing costs little more than the disk.
     */
    private static void writeBf16(ModelConfig c, Path dir, long maxShardBytes, ObjectNode out) throws IOException {
        Map<Shape, ByteBuffer> byShape = new HashMap<>();
        SplittableRandom rng = new SplittableRandom(11);
        List<SafeTensorsWriter.RawTensor> ts = new ArrayList<>();
        for (Map.Entry<String, Shape> e : WeightNames.layout(c).entrySet()) {
            ByteBuffer b = byShape.computeIfAbsent(e.getValue(), s -> {
                ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(s.size() * 2));
                float[] chunk = new float[1 << 20];
                for (long done = 0; done < s.size(); done += chunk.length) {
                    int n = (int) Math.min(chunk.length, s.size() - done);
                    for (int i = 0; i < n; i++) {
                        chunk[i] = s.dimension() == 1 ? 1f : (float) ((rng.nextDouble() - 0.5) * 0.07);
                    }
                    bytes.put(SafeTensorsWriter.encode(n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n), DType.BF16));
                }
                return bytes.flip();
            });
            ts.add(new SafeTensorsWriter.RawTensor(e.getKey(), DType.BF16, e.getValue().getShape(), sink -> sink.write(b.duplicate())));
        }
        long t0 = System.nanoTime();
        SafeTensorsWriter.writeRaw(dir, ts, maxShardBytes, Checkpoints.WEIGHTS_METADATA);
        Checkpoints.saveConfig(c, dir, DType.BF16, null);
        out.put("seconds", (System.nanoTime() - t0) / 1e9).put("params", c.parameterCount()).put("file_bytes", weightBytes(dir));
    }

    private static void load(Map<String, String> a, Device dev, ObjectNode out) throws Exception {
        Path dir = Path.of(a.get("dir"));
        AtomicLong peakHeap = new AtomicLong(), peakDirect = new AtomicLong();
        List<BufferPoolMXBean> pools = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
                long direct = 0;
                for (BufferPoolMXBean p : pools) {
                    if (p.getName().equals("direct")) direct += p.getMemoryUsed();
                }
                peakDirect.accumulateAndGet(direct, Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        long rss0 = procStatusKb("VmRSS");
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            p.resetPeakUsage();
        }
        sampler.start();
        long t0 = System.nanoTime();
        try (Model m = Checkpoints.load(dir, dev)) {
            double secs = (System.nanoTime() - t0) / 1e9;
            sampler.interrupt();
            sampler.join();
            long poolPeak = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP) poolPeak += p.getPeakUsage().getUsed();
            }
            out.put("seconds", secs).put("params", m.parameterCount())
                    .put("file_bytes", Files.size(dir.resolve("model.safetensors")))
                    .put("f32_bytes", m.parameterCount() * 4)
                    .put("peak_heap_sampled_bytes", peakHeap.get()).put("peak_heap_pools_bytes", poolPeak)
                    .put("peak_direct_bytes", peakDirect.get())
                    .put("rss_before_kb", rss0).put("peak_rss_kb", procStatusKb("VmHWM"))
                    .put("heap_max_bytes", Runtime.getRuntime().maxMemory());
        }
    }

    // ---- /proc helpers ----

    static long procStatusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return -1;
    }

    /** Resets VmHWM to the current RSS (Linux: "5" into /proc/self/clear_refs). */
    static void resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException e) {
            System.err.println("cannot reset peak RSS: " + e.getMessage());
        }
    }
}
