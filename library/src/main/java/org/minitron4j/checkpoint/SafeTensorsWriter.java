package org.minitron4j.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/**
 * Saves f32 tensors ({@link #write}), or tensors whose bytes are produced while writing, each in its own type
 * ({@link #writeRaw}), as a safetensors checkpoint that Hugging Face tools and {@link SafeTensors} can load: one
 * {@value SafeTensors#SINGLE_FILE}, or shards plus {@value SafeTensors#INDEX_FILE} when it would exceed a size limit.
 * Each file is written atomically, so a crash never leaves a half-written checkpoint file under its final name.
 */
public final class SafeTensorsWriter {
    // Files of an earlier save that a new save may replace; nothing else in the directory is touched.
    private static final Pattern CHECKPOINT_FILE =
            Pattern.compile("model(-\\d+-of-\\d+)?\\.safetensors|" + Pattern.quote(SafeTensors.INDEX_FILE));
    // Floats converted per write: 1 Mi floats, a few MiB of I/O buffer regardless of the tensor size.
    private static final int CHUNK = 1 << 20;
    private static final JsonMapper JSON = JsonMappers.shared();

    private SafeTensorsWriter() {
    }

    /**
     * One tensor to save: f32 values (from {@code data}'s position to its limit, which is left unchanged), numel =
     * product of the shape.
     */
    public record NamedTensor(String name, long[] shape, FloatBuffer data) {
        public NamedTensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(data, "data");
            shape = shape.clone(); // immutable, like TensorInfo
        }

        /** A copy of the shape. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        long numel() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** Receives a tensor's bytes: writes all of {@code bytes} (position to limit) to the file. */
    @FunctionalInterface
    public interface ByteSink {
        void write(ByteBuffer bytes) throws IOException;
    }

    /** Produces a tensor's data when its turn comes: exactly numel × element size little-endian bytes. */
    @FunctionalInterface
    public interface TensorBody {
        void writeTo(ByteSink sink) throws IOException;
    }

    /** One tensor to save in its own element type, its bytes produced by {@code body} while the file is written. */
    public record RawTensor(String name, DType dtype, long[] shape, TensorBody body) {
        public RawTensor {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(body, "body");
            shape = shape.clone();
        }

        /** A copy of the shape. */
        @Override
        public long[] shape() {
            return shape.clone();
        }

        long byteLength() {
            long n = dtype.byteSize();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /**
     * Writes the tensors, in the given order, converted to {@code dtype} (F32, F16 or BF16; F16 and BF16 round to
     * nearest even). Writes {@value SafeTensors#SINGLE_FILE} if everything fits in {@code maxShardBytes} of tensor data
     * (or {@code maxShardBytes <= 0}); otherwise fills shards {@code model-0000i-of-0000n.safetensors} greedily in
     * order (a tensor larger than the limit gets a shard of its own) and writes {@value SafeTensors#INDEX_FILE}.
     * Checkpoint files of an earlier save in {@code dir} that this save does not use are then deleted.
     *
     * @param metadata the {@code __metadata__} strings of every file; may be null or empty
     * @throws InvalidInputException if {@code dtype} cannot be written
     * @throws IllegalArgumentException if names repeat or a shape does not match its data
     * @throws UncheckedIOException if writing fails
     */
    public static void write(Path dir, List<NamedTensor> tensors, DType dtype, long maxShardBytes,
            @Nullable Map<String, String> metadata) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new InvalidInputException(dir + ": cannot save a checkpoint as " + dtype + "; use F32, F16 or BF16");
        }
        validate(tensors);
        Encoder encoder = new Encoder(dtype);
        List<RawTensor> raw = new ArrayList<>();
        for (NamedTensor t : tensors) {
            raw.add(new RawTensor(t.name(), dtype, t.shape, sink -> encoder.encode(t.data(), sink)));
        }
        writeRaw(dir, raw, maxShardBytes, metadata);
    }

    /**
     * Writes the tensors in the given order, each in its own type, as {@link #write} lays them out in files (one file,
     * or shards plus an index, each file atomic; stale files of an earlier save deleted). Each tensor's body runs once,
     * in order, while its file is written; a body that writes a wrong number of bytes fails the save.
     *
     * @throws IllegalArgumentException if names repeat or are reserved, or a shape is negative
     * @throws IllegalStateException if a body writes more or fewer bytes than its shape and type need
     * @throws UncheckedIOException if writing fails
     */
    public static void writeRaw(Path dir, List<RawTensor> tensors, long maxShardBytes,
                                @Nullable Map<String, String> metadata) {
        Set<String> names = new HashSet<>();
        for (RawTensor t : tensors) {
            if (t.name().isEmpty() || t.name().equals("__metadata__") || !names.add(t.name())) {
                throw new IllegalArgumentException("tensor name '" + t.name() + "' is empty, reserved or repeated");
            }
            if (Arrays.stream(t.shape).anyMatch(d -> d < 0)) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': negative shape " + Arrays.toString(t.shape));
            }
        }
        Map<String, String> sortedMetadata = metadata == null ? Map.of() : new TreeMap<>(metadata);

        List<List<RawTensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (RawTensor t : tensors) {
            long bytes = t.byteLength();
            if (shards.isEmpty() || (maxShardBytes > 0 && shardBytes > 0 && shardBytes + bytes > maxShardBytes)) {
                shards.add(new ArrayList<>());
                shardBytes = 0;
            }
            shards.get(shards.size() - 1).add(t);
            shardBytes += bytes;
            totalBytes += bytes;
        }

        try {
            Files.createDirectories(dir);
            Set<String> written = new HashSet<>();
            if (shards.size() <= 1) {
                writeFile(dir, SafeTensors.SINGLE_FILE, tensors, sortedMetadata);
                written.add(SafeTensors.SINGLE_FILE);
            } else {
                ObjectNode index = JSON.createObjectNode();
                index.putObject("metadata").put("total_size", totalBytes);
                ObjectNode weightMap = index.putObject("weight_map");
                for (int i = 0; i < shards.size(); i++) {
                    String fileName = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                    writeFile(dir, fileName, shards.get(i), sortedMetadata);
                    written.add(fileName);
                    for (RawTensor t : shards.get(i)) {
                        weightMap.put(t.name(), fileName);
                    }
                }
                // The index goes last: until it is renamed into place, readers still see the previous save.
                byte[] indexBytes = JsonMappers.indented().writeValueAsBytes(index);
                writeAtomically(dir, SafeTensors.INDEX_FILE, channel -> writeFully(channel, ByteBuffer.wrap(indexBytes)));
                written.add(SafeTensors.INDEX_FILE);
            }
            deleteStale(dir, written);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot save checkpoint: " + e.getMessage(), e);
        }
    }

    /**
     * {@code values} as little-endian {@code dtype} bytes (F32, F16 or BF16; halves round to nearest even, as {@link
     * #write} stores them), in a new heap buffer at position 0.
     */
    public static ByteBuffer encode(float[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        Encoder.encode(values, new short[values.length], values.length, dtype, out);
        return out.rewind();
    }

    /**
     * Converts floats to a checkpoint type (F32, F16 or BF16) through reused buffers of {@code CHUNK} elements, for
     * {@link TensorBody}s that produce their values chunk by chunk. Not thread-safe.
     */
    public static final class Encoder {
        private final DType dtype;
        private ByteBuffer io;
        private float[] floats;
        private short[] halves;

        public Encoder(DType dtype) {
            this.dtype = dtype;
        }

        /** Writes {@code data}'s floats (position to limit; its position is left alone) to {@code sink}. */
        public void encode(FloatBuffer data, ByteSink sink) throws IOException {
            if (io == null) { // allocated on first use, once per save
                io = ByteBuffer.allocateDirect(CHUNK * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
                floats = new float[CHUNK];
                halves = new short[CHUNK];
            }
            FloatBuffer src = data.duplicate();
            while (src.hasRemaining()) {
                int n = Math.min(CHUNK, src.remaining());
                src.get(floats, 0, n);
                io.clear();
                encode(floats, halves, n, dtype, io);
                sink.write(io.flip());
            }
        }

        /** Puts the first {@code n} floats into {@code out} as {@code dtype}; {@code halves} is scratch space. */
        static void encode(float[] floats, short[] halves, int n, DType dtype, ByteBuffer out) {
            if (dtype == DType.F32) {
                out.asFloatBuffer().put(floats, 0, n);
            } else {
                for (int i = 0; i < n; i++) {
                    halves[i] = dtype == DType.F16 ? Float16.floatToHalf(floats[i]) : Float16.floatToBf16(floats[i]);
                }
                out.asShortBuffer().put(halves, 0, n);
            }
            out.position(out.position() + n * dtype.byteSize());
        }
    }

    private static void validate(List<NamedTensor> tensors) {
        for (NamedTensor t : tensors) {
            if (Arrays.stream(t.shape).anyMatch(d -> d < 0) || t.numel() != t.data().remaining()) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': shape " + Arrays.toString(t.shape)
                        + " does not match its " + t.data().remaining() + " values");
            }
        }
    }

    private static void writeFile(Path dir, String fileName, List<RawTensor> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (RawTensor t : tensors) {
            long end = offset + t.byteLength();
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            Arrays.stream(t.shape).forEach(entry.putArray("shape")::add);
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = toJson(header);
        // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned, as the reference writer does.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        writeAtomically(dir, fileName, channel -> {
            writeFully(channel, head.flip());
            long[] written = new long[1];
            for (RawTensor t : tensors) {
                written[0] = 0;
                t.body().writeTo(bytes -> {
                    written[0] += bytes.remaining();
                    writeFully(channel, bytes);
                });
                if (written[0] != t.byteLength()) {
                    throw new IllegalStateException("tensor '" + t.name() + "': wrote " + written[0] + " bytes, its shape "
                            + Arrays.toString(t.shape) + " of " + t.dtype() + " needs " + t.byteLength());
                }
            }
        });
    }

    private static byte[] toJson(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a JSON tree", e); // cannot happen for plain nodes
        }
    }

    private interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /** Writes to a temporary file in {@code dir}, syncs it to disk, then renames it to {@code fileName}. */
    private static void writeAtomically(Path dir, String fileName, ChannelWriter body) throws IOException {
        // Not Files.createTempFile: its 0600 mode would make saved checkpoints unreadable to other users.
        Path tmp = dir.resolve("." + fileName + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(channel);
                channel.force(true);
            }
            Files.move(tmp, dir.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // only left after a failure
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Deletes checkpoint files of an earlier save that are not in {@code keep}; the index first, so no reader follows it. */
    private static void deleteStale(Path dir, Set<String> keep) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (CHECKPOINT_FILE.matcher(name).matches() && !keep.contains(name)) {
                    stale.add(p);
                }
            }
        }
        stale.sort((a, b) -> Boolean.compare(!a.getFileName().toString().equals(SafeTensors.INDEX_FILE),
                !b.getFileName().toString().equals(SafeTensors.INDEX_FILE)));
        for (Path p : stale) {
            Files.deleteIfExists(p);
        }
    }
}
