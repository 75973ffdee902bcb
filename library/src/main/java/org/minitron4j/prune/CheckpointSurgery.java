package org.minitron4j.prune;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.checkpoint.DType;
import org.minitron4j.checkpoint.SafeTensors;
import org.minitron4j.checkpoint.SafeTensorsWriter;
import org.minitron4j.checkpoint.TensorInfo;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * Pruning surgery from a checkpoint folder to a checkpoint folder, without loading the model: for checkpoints larger
 * than memory (an 8B model is 16 GB in bf16, 32 GB as the f32 {@link org.minitron4j.model.Model} holds it).
 *
 * <p>It keeps what {@link Pruner#prune} keeps (the same {@link Selection}) and writes what {@link Pruner#prune}
 * followed by {@link Checkpoints#save} in the source's type writes, bit for bit: each tensor keeps its stored type (bf16
 * stays bf16) and its kept elements are copied byte for byte, a bounded chunk of rows at a time, read by positional
 * reads (nothing is memory-mapped), so memory stays at a few chunks whatever the model's size. With {@link
 * PruneOptions#headResidualMerge()}, a layer's o_proj and q_proj are read as f32, merged as {@link Pruner} does, and
 * rounded back to the stored type as {@link Checkpoints#save} would.
 *
 * <p>Llama-family architectures only (Llama, Mistral, Qwen2, Nemotron); GPT-2 checkpoints (q, k, v fused in
 * {@code c_attn}, Conv1D {@code [in, out]} weights) are rejected: load them and use {@link Pruner#prune}.
 */
public final class CheckpointSurgery {
    // Source bytes read per step: a bounded number of rows, so memory does not grow with the tensor (an 8B embedding
    // is 1 GB in bf16); large enough that a step costs far more than its read call.
    static final int CHUNK_BYTES = 32 << 20;

    private CheckpointSurgery() {
    }

    /** Prunes {@code source} into {@code out}, copying the tokenizer files from {@code source}. */
    public static PruneReport prune(Path source, Path out, PrunePlan plan, ImportanceRanking ranking, PruneOptions options) {
        return prune(source, out, plan, ranking, options, source);
    }

    /**
     * Prunes the checkpoint folder {@code source} ({@code config.json} plus one safetensors file or a sharded index)
     * into the folder {@code out}: weights (sharded as {@link Checkpoints#save} shards), {@code config.json} of the
     * pruned config, {@code generation_config.json}, and the tokenizer files found in {@code tokenizerFrom} (null:
     * none). Returns the report {@link Pruner#prune} would give.
     *
     * @throws InvalidInputException for an impossible plan or ranking, a GPT-2 checkpoint, {@code out} being the
     *     source folder or holding another run's files ({@link Checkpoints#writeFolder}), or a source that is not a valid checkpoint of its config (missing, mis-shaped or unexpected
     *     tensors, truncated files), naming the file and tensor
     */
    public static PruneReport prune(Path source, Path out, PrunePlan plan, ImportanceRanking ranking, PruneOptions options,
                                    @Nullable Path tokenizerFrom) {
        return prune(source, out, plan, ranking, options, tokenizerFrom, CHUNK_BYTES);
    }

    /** {@link #prune} reading at most {@code chunkBytes} per step (at least one row): small values test the chunking. */
    static PruneReport prune(Path source, Path out, PrunePlan plan, ImportanceRanking ranking, PruneOptions options,
                             @Nullable Path tokenizerFrom, int chunkBytes) {
        if (sameFolder(source, out)) {
            throw new InvalidInputException(out + " is the source checkpoint folder; write the pruned checkpoint to another folder");
        }
        ModelConfig c = ModelConfig.fromHuggingFace(source);
        if (c.architecture() == ModelConfig.Architecture.GPT2) {
            throw new InvalidInputException(source + ": GPT-2 checkpoints (q, k, v fused in c_attn, Conv1D [in, out] weights)"
                    + " cannot be pruned checkpoint to checkpoint; load the model and use Pruner.prune");
        }
        Selection sel = Selection.of(c, plan, ranking, options);
        List<PruneReport.HeadMerge> merges = new ArrayList<>();
        try (SafeTensors st = SafeTensors.open(source); Copier copier = new Copier(chunkBytes)) {
            Checkpoints.checkTensors(c, st, source);
            Map<String, ai.djl.ndarray.types.Shape> layout = WeightNames.layout(sel.after());
            List<SafeTensorsWriter.RawTensor> tensors = new ArrayList<>();
            for (Selection.Cut cut : sel.cuts()) {
                TensorInfo info = st.info(cut.source());
                tensors.add(new SafeTensorsWriter.RawTensor(cut.target(), info.dtype(), layout.get(cut.target()).getShape(),
                        sink -> copier.copy(rowSource(st, info, cut, sel, merges), info, cut, sink)));
            }
            Checkpoints.writeFolder(out, () -> SafeTensorsWriter.writeRaw(out, tensors,
                    Checkpoints.SaveOptions.defaults().maxShardBytes(), Checkpoints.WEIGHTS_METADATA),
                    sel.after(), Checkpoints.storedDtype(st), tokenizerFrom);
        }
        return sel.report(merges);
    }

    private static boolean sameFolder(Path a, Path b) {
        try {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())
                    || (Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b));
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads bytes {@code [offset, offset + dst.remaining())} of a source tensor into {@code dst}. */
    @FunctionalInterface
    private interface RowSource {
        void read(long offset, ByteBuffer dst);
    }

    /** The cut's source bytes: the stored tensor, or for a head merge the merged o_proj in the stored type. */
    private static RowSource rowSource(SafeTensors st, TensorInfo info, Selection.Cut cut, Selection sel,
                                       List<PruneReport.HeadMerge> merges) {
        if (cut.mergeLayer() < 0) {
            return (offset, dst) -> st.readBytes(cut.source(), offset, dst);
        }
        DType dtype = info.dtype();
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new InvalidInputException(info.file() + ": tensor '" + cut.source() + "' is " + dtype
                    + "; merging heads (PruneOptions.headResidualMerge) needs F32, F16 or BF16 weights");
        }
        float[] merged = sel.mergedOProj(cut.mergeLayer(), name -> floats(st.readFloat32(name)), merges);
        ByteBuffer bytes = SafeTensorsWriter.encode(merged, dtype);
        return (offset, dst) -> dst.put(bytes.slice(Math.toIntExact(offset), dst.remaining()));
    }

    private static float[] floats(FloatBuffer b) {
        float[] a = new float[b.remaining()];
        b.get(a);
        return a;
    }

    /**
     * Copies the kept rows and columns of tensors through buffers reused from tensor to tensor. Elements are moved as
     * 16-bit units (every float type is a whole number of them), so one tight loop serves f16, bf16, f32 and f64.
     * While one chunk is written (on a second thread), the next is read and gathered into the other output buffer.
     */
    private static final class Copier implements AutoCloseable {
        private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "checkpoint-surgery-writer");
            t.setDaemon(true);
            return t;
        });
        private Future<?> pending;
        private ByteBuffer in = ByteBuffer.allocateDirect(0);
        private final ByteBuffer[] outs = {ByteBuffer.allocateDirect(0), ByteBuffer.allocateDirect(0)};
        private int turn;
        private short[] inUnits = new short[0], outUnits = new short[0];
        private final int chunkBytes;

        Copier(int chunkBytes) {
            this.chunkBytes = chunkBytes;
        }

        void copy(RowSource src, TensorInfo info, Selection.Cut cut, SafeTensorsWriter.ByteSink sink) throws IOException {
            int e = info.dtype().byteSize();
            if (e % 2 != 0) {
                throw new InvalidInputException(info.file() + ": tensor '" + info.name() + "' is " + info.dtype()
                        + "; checkpoint surgery copies float weights (F32, F16, BF16, F64)");
            }
            long[] shape = info.shape();
            // a 1-d tensor is one row whose kept elements are the cut's rows
            boolean vector = shape.length == 1;
            int nRows = vector ? 1 : Math.toIntExact(shape[0]);
            int nCols = Math.toIntExact(vector ? shape[0] : shape[1]);
            int[] rows = vector ? null : cut.rows(), cols = vector ? cut.rows() : cut.cols();
            int k = e / 2; // 16-bit units per element
            int rowUnits = nCols * k;
            int rowBytes = rowUnits * 2;
            int outRowUnits = (cols == null ? nCols : cols.length) * k;
            int chunkRows = Math.max(1, Math.min(nRows, chunkBytes / rowBytes));
            ensure(chunkRows * rowBytes, chunkRows * outRowUnits * 2);
            int kept = rows == null ? nRows : rows.length;
            for (int i = 0; i < kept; ) {
                // one read: source rows first .. last, the kept ones among them within chunkRows of the first
                int first = rows == null ? i : rows[i];
                int j = i;
                while (j + 1 < kept && (rows == null ? j + 1 : rows[j + 1]) - first < chunkRows) {
                    j++;
                }
                int span = (rows == null ? j : rows[j]) - first + 1;
                in.clear().limit(span * rowBytes);
                src.read((long) first * rowBytes, in);
                in.flip();
                ByteBuffer out = outs[turn].clear(); // its previous write finished before the last submit
                if (cols == null) { // whole rows
                    for (int r = i; r <= j; r++) {
                        int at = ((rows == null ? r : rows[r]) - first) * rowBytes;
                        out.put(in.slice(at, rowBytes));
                    }
                } else {
                    in.asShortBuffer().get(inUnits, 0, span * rowUnits);
                    int o = 0;
                    for (int r = i; r <= j; r++) {
                        int base = ((rows == null ? r : rows[r]) - first) * rowUnits;
                        if (k == 1) {
                            for (int col : cols) {
                                outUnits[o++] = inUnits[base + col];
                            }
                        } else {
                            for (int col : cols) {
                                for (int u = base + col * k, end = u + k; u < end; u++) {
                                    outUnits[o++] = inUnits[u];
                                }
                            }
                        }
                    }
                    out.asShortBuffer().put(outUnits, 0, o);
                    out.position(o * 2);
                }
                awaitWrite();
                out.flip();
                pending = writer.submit(() -> {
                    sink.write(out);
                    return null;
                });
                turn ^= 1;
                i = j + 1;
            }
            awaitWrite(); // the writer counts a tensor's bytes when its body returns
        }

        private void awaitWrite() throws IOException {
            if (pending == null) {
                return;
            }
            try {
                pending.get();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing");
            } catch (ExecutionException ex) {
                Throwable cause = ex.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
            } finally {
                pending = null;
            }
        }

        private void ensure(int inBytes, int outBytes) {
            if (in.capacity() < inBytes) {
                in = ByteBuffer.allocateDirect(inBytes).order(ByteOrder.nativeOrder());
                inUnits = new short[inBytes / 2];
            }
            if (outs[0].capacity() < outBytes) {
                for (int b = 0; b < 2; b++) {
                    outs[b] = ByteBuffer.allocateDirect(outBytes).order(ByteOrder.nativeOrder());
                }
                outUnits = new short[outBytes / 2];
            }
        }

        @Override
        public void close() {
            writer.shutdownNow();
        }
    }
}
