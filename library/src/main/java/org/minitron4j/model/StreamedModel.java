package org.minitron4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.Progress;
import org.minitron4j.checkpoint.SafeTensors;

/**
 * A Hugging Face checkpoint run one layer at a time, for models that do not fit in memory: a pass loads the embeddings
 * (converting bf16/f16 to f32), embeds every batch, frees them; then loads decoder layer 0, runs every batch through it,
 * frees it, and so on; then the final norm and the LM head (not loaded for a pass without logits whose listener does not
 * use it). Only one layer's weights and the hidden states [B, T, hidden] of the batches in flight are held. When those
 * hidden states (plus what the listener keeps per token) would take the pass past its memory budget
 * ({@link StreamMemory}), the batches are split into groups that each stream the checkpoint once more.
 *
 * <p>The operations are {@link Forward}'s, in the same order, so a streamed pass gives the same numbers as the model
 * loaded in memory for the same batches. Llama-family checkpoints (every supported architecture but GPT-2).
 */
public final class StreamedModel implements Transformer, AutoCloseable {
    private final Path dir;
    private final ModelConfig config;
    private final SafeTensors tensors;
    private final Map<String, Shape> layout;
    private final NDManager manager;
    private final @Nullable Rope rope;
    private final long budgetBytes;

    private StreamedModel(Path dir, ModelConfig config, SafeTensors tensors, Device device, long budgetBytes) {
        this.dir = dir;
        this.config = config;
        this.tensors = tensors;
        this.layout = WeightNames.layout(config);
        this.manager = NDManager.newBaseManager(device);
        this.rope = config.learnedPositions() ? null : new Rope(config, manager);
        this.budgetBytes = budgetBytes;
    }

    /**
     * Opens a model folder for streaming: reads {@code config.json} and the safetensors headers, checks every tensor's
     * name and shape, loads no weights. Each pass sizes its groups of windows to {@code budget}; a pass that cannot fit
     * one batch in it is refused before it reads anything.
     */
    public static StreamedModel open(Path dir, Device device, MemoryBudget budget) {
        ModelConfig config = ModelConfig.fromHuggingFace(dir);
        if (config.architecture() == ModelConfig.Architecture.GPT2) {
            throw new InvalidInputException(dir + ": streaming reads Llama-family checkpoints; load this GPT-2 model in memory");
        }
        SafeTensors st = SafeTensors.open(dir);
        try {
            Checkpoints.checkTensors(config, st, dir);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
        return new StreamedModel(dir, config, st, device, budget.bytes());
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public long parameterCount() {
        return WeightNames.parameterCount(config);
    }

    /** Bytes of the weights in f32, as a model loaded in memory would hold them. */
    public long bytesInMemory() {
        return parameterCount() * Float.BYTES;
    }

    @Override
    public void passBatches(List<TokenBatch> batches, Forward.Options options, PassListener listener, Progress progress) {
        if (options.cache() != null) {
            throw new IllegalArgumentException("a pass over many batches takes no KV cache");
        }
        Model.checkLayers(config, options.skipLayers());
        long seqLen = 0, batchTokens = 0;
        for (TokenBatch b : batches) {
            seqLen = Math.max(seqLen, b.length());
            batchTokens = Math.max(batchTokens, b.tokens());
        }
        boolean withHead = options.computeLogits() || listener.usesLmHead();
        StreamMemory memory = StreamMemory.of(config, listener, seqLen, withHead);
        List<int[]> groups = groups(batches, memory.tokensPerGroup(budgetBytes, batchTokens, dir));
        for (int g = 0; g < groups.size(); g++) {
            int[] range = groups.get(g);
            passGroup(batches, range[0], range[1], options, listener, withHead, new GroupProgress(progress, g, groups.size(),
                    config.numLayers() + 1));
        }
    }

    /** Progress over every group's stages: stage s of group g is step g·stages + s of groups·stages. */
    private record GroupProgress(Progress progress, int group, int groups, int stages) {
        void update(int stage, String what) {
            String detail = groups == 1 ? "" : String.format(Locale.ROOT, ", group %d of %d", group + 1, groups);
            progress.update("streaming", group * stages + stage, groups * stages, what + detail);
        }
    }

    /** Consecutive batches [from, to) whose tokens fit {@code maxTokens} (a batch larger than that goes alone). */
    static List<int[]> groups(List<TokenBatch> batches, long maxTokens) {
        List<int[]> out = new ArrayList<>();
        int from = 0;
        long tokens = 0;
        for (int b = 0; b < batches.size(); b++) {
            long t = batches.get(b).tokens();
            if (b > from && tokens + t > maxTokens) {
                out.add(new int[] {from, b});
                from = b;
                tokens = 0;
            }
            tokens += t;
        }
        if (from < batches.size()) {
            out.add(new int[] {from, batches.size()});
        }
        return out;
    }

    private void passGroup(List<TokenBatch> batches, int from, int to, Forward.Options options, PassListener listener,
                           boolean withHead, GroupProgress progress) {
        int layers = config.numLayers();
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] x = new NDArray[to - from]; // hidden states [B, T, d] of each batch of the group
            try (LayerWeights w = load(StreamMemory.embeddings())) {
                for (int b = from; b < to; b++) {
                    NDArray ids = scope.create(batches.get(b).ids());
                    Model.checkTokens(config, ids);
                    try (AttentionLayout layout = layout(scope, batches.get(b))) {
                        Model.checkPositions(config, layout.length());
                        x[b - from] = Forward.embedInput(config, w, ids, layout);
                    }
                    ids.close();
                }
            }
            int last = Forward.lastLayer(config, options.skipLayers());
            for (int l = 0; l < layers; l++) {
                progress.update(l, String.format(Locale.ROOT, "layer %d of %d", l + 1, layers));
                if (options.skipLayers().contains(l)) {
                    continue;
                }
                try (LayerWeights w = load(StreamMemory.decoderLayer(l))) {
                    for (int b = from; b < to; b++) {
                        Activations acts = new Activations();
                        NDArray in = x[b - from];
                        AttentionLayout layout = layout(scope, batches.get(b));
                        x[b - from] = Forward.layer(config, w, rope, l, in, layout, l == last, null, options.capture(), acts);
                        listener.layer(l, b, acts);
                        for (NDArray a : acts.all().values()) {
                            if (a != x[b - from] && a != in) {
                                a.close();
                            }
                        }
                        layout.close();
                        in.close();
                    }
                }
            }
            progress.update(layers, withHead ? "final norm and LM head" : "final norm");
            try (LayerWeights w = load(StreamMemory.finalStage(config, withHead))) {
                for (int b = from; b < to; b++) {
                    try (NDManager out = scope.newSubManager()) {
                        NDArray h = x[b - from];
                        if (last < 0 && batches.get(b).outputs() != null) { // no layer selected the wanted outputs
                            try (AttentionLayout layout = layout(scope, batches.get(b))) {
                                h = layout.outputs().select(h);
                            }
                        }
                        h.attach(out);
                        Activations acts = new Activations();
                        listener.output(b, Forward.output(config, w, h, options.computeLogits(), options.capture(), acts));
                    }
                }
            }
            progress.update(layers + 1, "done");
        }
    }

    private static AttentionLayout layout(NDManager scope, TokenBatch batch) {
        return AttentionLayout.of(scope, batch.length(), 0, batch.packing(), batch.outputs());
    }

    /** The tensors of the layout whose names pass {@code which}, read (and converted to f32) into a manager of their own. */
    private LayerWeights load(Predicate<String> which) {
        NDManager m = manager.newSubManager();
        Map<String, NDArray> w = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Shape> e : layout.entrySet()) {
                if (which.test(e.getKey())) {
                    w.put(e.getKey(), Checkpoints.read(tensors, e.getKey(), e.getValue(), m, dir));
                }
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new LayerWeights(w, m);
    }

    /** One layer's tensors (or the embeddings, or the head), freed on close. */
    private record LayerWeights(Map<String, NDArray> tensors, NDManager manager) implements Weights, AutoCloseable {
        @Override
        public NDArray weight(String name) {
            NDArray a = tensors.get(name);
            if (a == null) {
                throw new IllegalStateException("tensor '" + name + "' is not loaded in this stage of the stream");
            }
            return a;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Override
    public void close() {
        manager.close();
        tensors.close();
    }
}
