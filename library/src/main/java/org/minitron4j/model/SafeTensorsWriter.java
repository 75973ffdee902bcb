package org.minitron4j.model;

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
import org.minitron4j.InvalidInputException;

/**
 * Saves f32 tensors as a safetensors checkpoint that Hugging Face tools and {@link SafeTensors} can load: one
 * {@value SafeTensors#SINGLE_FILE}, or shards plus {@value SafeTensors#INDEX_FILE} when it would exceed a size limit.
 * Each file is written atomically, so a crash never leaves a half-written checkpoint file under its final name.
 */
public final class SafeTensorsWriter {
    // Files of an earlier save that a new save may replace; nothing else in the directory is touched.
    private static final Pattern CHECKPOINT_FILE =
            Pattern.compile("model(-\\d+-of-\\d+)?\\.safetensors|" + Pattern.quote(SafeTensors.INDEX_FILE));
    // Floats converted per write: 1 Mi floats, a few MiB of I/O buffer regardless of the tensor size.
    private static final int CHUNK = 1 << 20;
    private static final JsonMapper JSON = new JsonMapper();

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
            Map<String, String> metadata) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new InvalidInputException(dir + ": cannot save a checkpoint as " + dtype + "; use F32, F16 or BF16");
        }
        validate(tensors);
        Map<String, String> sortedMetadata = metadata == null ? Map.of() : new TreeMap<>(metadata);

        List<List<NamedTensor>> shards = new ArrayList<>();
        long shardBytes = 0;
        long totalBytes = 0;
        for (NamedTensor t : tensors) {
            long bytes = t.numel() * dtype.byteSize();
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
                writeFile(dir, SafeTensors.SINGLE_FILE, tensors, dtype, sortedMetadata);
                written.add(SafeTensors.SINGLE_FILE);
            } else {
                ObjectNode index = JSON.createObjectNode();
                index.putObject("metadata").put("total_size", totalBytes);
                ObjectNode weightMap = index.putObject("weight_map");
                for (int i = 0; i < shards.size(); i++) {
                    String fileName = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                    writeFile(dir, fileName, shards.get(i), dtype, sortedMetadata);
                    written.add(fileName);
                    for (NamedTensor t : shards.get(i)) {
                        weightMap.put(t.name(), fileName);
                    }
                }
                // The index goes last: until it is renamed into place, readers still see the previous save.
                byte[] indexBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
                writeAtomically(dir, SafeTensors.INDEX_FILE, channel -> writeFully(channel, ByteBuffer.wrap(indexBytes)));
                written.add(SafeTensors.INDEX_FILE);
            }
            deleteStale(dir, written);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot save checkpoint: " + e.getMessage(), e);
        }
    }

    private static void validate(List<NamedTensor> tensors) {
        Set<String> names = new HashSet<>();
        for (NamedTensor t : tensors) {
            if (t.name().isEmpty() || t.name().equals("__metadata__") || !names.add(t.name())) {
                throw new IllegalArgumentException("tensor name '" + t.name() + "' is empty, reserved or repeated");
            }
            if (Arrays.stream(t.shape).anyMatch(d -> d < 0) || t.numel() != t.data().remaining()) {
                throw new IllegalArgumentException("tensor '" + t.name() + "': shape " + Arrays.toString(t.shape)
                        + " does not match its " + t.data().remaining() + " values");
            }
        }
    }

    private static void writeFile(Path dir, String fileName, List<NamedTensor> tensors, DType dtype,
            Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (NamedTensor t : tensors) {
            long end = offset + t.numel() * dtype.byteSize();
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", dtype.safetensorsName());
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
            ByteBuffer io = ByteBuffer.allocateDirect(CHUNK * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            float[] floats = new float[CHUNK];
            short[] halves = new short[CHUNK];
            for (NamedTensor t : tensors) {
                FloatBuffer src = t.data().duplicate(); // leaves the caller's position alone
                while (src.hasRemaining()) {
                    int n = Math.min(CHUNK, src.remaining());
                    src.get(floats, 0, n);
                    io.clear();
                    if (dtype == DType.F32) {
                        io.asFloatBuffer().put(floats, 0, n);
                    } else {
                        for (int i = 0; i < n; i++) {
                            halves[i] = dtype == DType.F16 ? Float16.floatToHalf(floats[i])
                                    : Float16.floatToBf16(floats[i]);
                        }
                        io.asShortBuffer().put(halves, 0, n);
                    }
                    writeFully(channel, io.limit(n * dtype.byteSize()));
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
