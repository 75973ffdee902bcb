package org.minitron4j.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;

/**
 * A read-only view of a safetensors checkpoint (one file or an indexed set of shards), validated when opened and read
 * tensor by tensor in chunks by positional reads, so multi-gigabyte shards never land on the Java heap and a tensor
 * read leaves nothing of the file in the process's memory.
 *
 * <p>Tensors are listed shard by shard (shards in file-name order), and within a file in data order, which is the order
 * {@link SafeTensorsWriter} wrote them in. {@link #readFloat32} may be called from several threads at once.
 */
public final class SafeTensors implements AutoCloseable {
    /** File name of a single-file checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** File name of the index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    // The reference implementation also caps headers at 100 MB; a larger length means a corrupt or foreign file.
    private static final long MAX_HEADER_BYTES = 100_000_000L;
    // Source bytes read and converted per task: tensors are converted in parallel chunks; small enough to spread an 8B
    // model's layers over the cores, large enough to amortise a read.
    private static final long CONVERT_CHUNK_BYTES = 32L << 20;
    // Elements converted per step through heap arrays: large enough for tight loops, small enough for the cache.
    private static final int CONVERT_CHUNK = 1 << 14;
    // Source buffers of the chunks being converted, reused: as many as chunks were ever converted at once. Positional
    // reads rather than mapping the file, because mapped pages count in the process's memory until the mapping is
    // collected; and not one buffer per thread, because the common pool's threads come and go (a buffer per thread
    // grew by 100 MB per layer of a streamed 8B model until a garbage collection).
    private static final java.util.concurrent.ConcurrentLinkedDeque<ByteBuffer> CHUNK_BUFFERS =
            new java.util.concurrent.ConcurrentLinkedDeque<>();

    private static final JsonMapper JSON = JsonMappers.strict(); // a tensor named twice is an error

    private final Path source;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final Map<Path, FileChannel> channels;
    private volatile boolean closed;

    private SafeTensors(Path source, Map<String, TensorInfo> tensors, Map<String, String> metadata,
            Map<Path, FileChannel> channels) {
        this.source = source;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
        this.channels = channels;
    }

    /**
     * Opens a checkpoint: a directory holding {@value #INDEX_FILE} (sharded, preferred) or {@value #SINGLE_FILE}, a
     * single {@code .safetensors} file, or an index file itself. All headers are read and validated now.
     *
     * @throws InvalidInputException if a file is missing or a header is malformed, naming the file and the tensor
     */
    public static SafeTensors open(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            Path index = dirOrFile.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                return openIndex(index);
            }
            Path single = dirOrFile.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) {
                return openFiles(dirOrFile, List.of(single));
            }
            throw new InvalidInputException(
                    dirOrFile + ": directory contains neither " + INDEX_FILE + " nor " + SINGLE_FILE);
        }
        if (!Files.isRegularFile(dirOrFile)) {
            throw new InvalidInputException(dirOrFile + ": no such safetensors file or checkpoint directory");
        }
        if (dirOrFile.getFileName().toString().endsWith(".index.json")) {
            return openIndex(dirOrFile);
        }
        return openFiles(dirOrFile, List.of(dirOrFile));
    }

    /** Tensor names in a stable order: shards in file-name order, tensors in data order within a file. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /**
     * Type, shape and location of a tensor.
     *
     * @throws InvalidInputException if the checkpoint has no such tensor
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new InvalidInputException(source + ": no tensor '" + name + "' in this checkpoint");
        }
        return t;
    }

    /** Whether the checkpoint has a tensor of that name. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The {@code __metadata__} string map of the (first) file; empty if it has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The tensor converted to f32, in a new direct buffer in native byte order (position 0, capacity numel), ready to
     * hand to native code. Floats convert exactly; integers and booleans become the nearest float (1 or 0 for bool).
     *
     * @throws InvalidInputException if the tensor is absent, or too large for one buffer (more than 2^31-1 bytes)
     * @throws UncheckedIOException if the file cannot be read (e.g. it was truncated after opening)
     */
    public FloatBuffer readFloat32(String name) {
        return readFloat32Bytes(name).asFloatBuffer();
    }

    /**
     * {@link #readFloat32} as the direct byte buffer itself (native order, position 0): DJL wraps a direct
     * {@code ByteBuffer} without copying, while a {@code FloatBuffer} view is copied into a second direct buffer.
     */
    public ByteBuffer readFloat32Bytes(String name) {
        ByteBuffer bytes = ByteBuffer.allocateDirect((int) float32Bytes(name)).order(ByteOrder.nativeOrder());
        readFloat32Into(name, bytes);
        return bytes;
    }

    /**
     * Reads tensor {@code name} converted to f32 into {@code dst} (bytes 0 .. numel·4 of it, in native order), for
     * example the memory of a freshly allocated libtorch tensor: that memory is not zeroed first, unlike a Java direct
     * buffer, so every page is touched once. Large tensors are read and converted in parallel chunks.
     *
     * @throws InvalidInputException if the tensor is absent or too large for one buffer
     * @throws IllegalArgumentException if {@code dst} is smaller than the tensor in f32
     * @throws UncheckedIOException if the file cannot be read (e.g. it was truncated after opening)
     */
    public void readFloat32Into(String name, ByteBuffer dst) {
        long f32Bytes = float32Bytes(name);
        if (dst.capacity() < f32Bytes) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + f32Bytes + " bytes in f32, the buffer has "
                    + dst.capacity());
        }
        TensorInfo t = info(name);
        int elementBytes = t.dtype().byteSize();
        long chunkElements = CONVERT_CHUNK_BYTES / elementBytes;
        int chunks = Math.toIntExact((t.numel() + chunkElements - 1) / chunkElements);
        FileChannel channel = channels.get(t.file());
        java.util.stream.IntStream.range(0, chunks).parallel().forEach(i -> {
            long first = i * chunkElements, count = Math.min(chunkElements, t.numel() - first);
            ByteBuffer out = dst.duplicate().position(Math.toIntExact(first * Float.BYTES)).slice().order(ByteOrder.nativeOrder())
                    .limit(Math.toIntExact(count * Float.BYTES));
            try {
                if (t.dtype() == DType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    readFully(channel, out, t.dataOffset() + first * elementBytes); // already f32: straight into dst
                } else {
                    ByteBuffer buffer = CHUNK_BUFFERS.pollFirst();
                    if (buffer == null) {
                        buffer = ByteBuffer.allocateDirect(Math.toIntExact(CONVERT_CHUNK_BYTES));
                    }
                    try {
                        ByteBuffer src = buffer.clear().limit(Math.toIntExact(count * elementBytes));
                        readFully(channel, src, t.dataOffset() + first * elementBytes);
                        convert(t.dtype(), src.flip().order(ByteOrder.LITTLE_ENDIAN), out.asFloatBuffer());
                    } finally {
                        CHUNK_BUFFERS.offerFirst(buffer);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(t.file() + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
            }
        });
    }

    /** Size of a tensor in f32, checked to fit one buffer. */
    private long float32Bytes(String name) {
        if (closed) {
            throw new IllegalStateException(source + ": checkpoint is closed");
        }
        TensorInfo t = info(name);
        if (t.numel() > Integer.MAX_VALUE / Float.BYTES) {
            throw new InvalidInputException(t.file() + ": tensor '" + name + "' has " + t.numel()
                    + " elements, too many for one f32 buffer (at most " + Integer.MAX_VALUE / Float.BYTES + ")");
        }
        return t.numel() * Float.BYTES;
    }

    /**
     * Reads the raw little-endian bytes {@code [offset, offset + dst.remaining())} of a tensor's data into {@code dst}
     * (up to its limit) by positional reads, without mapping the file: for copying parts of a tensor, e.g. a range of
     * rows, in its stored type.
     *
     * @throws InvalidInputException if the tensor is absent
     * @throws IllegalArgumentException if the range lies outside the tensor
     * @throws UncheckedIOException if the file cannot be read (e.g. it was truncated after opening)
     */
    public void readBytes(String name, long offset, ByteBuffer dst) {
        if (closed) {
            throw new IllegalStateException(source + ": checkpoint is closed");
        }
        TensorInfo t = info(name);
        if (offset < 0 || offset + dst.remaining() > t.byteLength()) {
            throw new IllegalArgumentException("bytes [" + offset + ", " + (offset + dst.remaining()) + ") outside tensor '"
                    + name + "' of " + t.byteLength() + " bytes");
        }
        long position = t.dataOffset() + offset;
        try {
            while (dst.hasRemaining()) {
                int n = channels.get(t.file()).read(dst, position);
                if (n < 0) {
                    throw new IOException("unexpected end of file at byte " + position + " (truncated?)");
                }
                position += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(t.file() + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Closes the files. Tensors already read stay valid: they are copies. */
    @Override
    public void close() {
        closed = true;
        IOException first = null;
        for (FileChannel c : channels.values()) {
            try {
                c.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new UncheckedIOException(source + ": cannot close checkpoint", first);
        }
    }

    /** Appends the little-endian elements of {@code src} to {@code dst} as floats. */
    private static void convert(DType dtype, ByteBuffer src, FloatBuffer dst) {
        switch (dtype) {
            case F32 -> dst.put(src.asFloatBuffer()); // bulk copy, a memcpy on little-endian machines
            case F16, BF16, I16 -> {
                ShortBuffer s = src.asShortBuffer();
                short[] in = new short[CONVERT_CHUNK];
                float[] out = new float[CONVERT_CHUNK];
                while (s.hasRemaining()) {
                    int n = Math.min(CONVERT_CHUNK, s.remaining());
                    s.get(in, 0, n);
                    if (dtype == DType.BF16) {
                        for (int i = 0; i < n; i++) {
                            out[i] = Float16.bf16ToFloat(in[i]);
                        }
                    } else if (dtype == DType.F16) {
                        for (int i = 0; i < n; i++) {
                            out[i] = Float16.halfToFloat(in[i]);
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            out[i] = in[i];
                        }
                    }
                    dst.put(out, 0, n);
                }
            }
            case F64 -> {
                DoubleBuffer d = src.asDoubleBuffer();
                while (d.hasRemaining()) {
                    dst.put((float) d.get());
                }
            }
            case I64 -> {
                LongBuffer l = src.asLongBuffer();
                while (l.hasRemaining()) {
                    dst.put(l.get());
                }
            }
            case I32 -> {
                IntBuffer b = src.asIntBuffer();
                while (b.hasRemaining()) {
                    dst.put(b.get());
                }
            }
            case I8 -> {
                while (src.hasRemaining()) {
                    dst.put(src.get());
                }
            }
            case U8 -> {
                while (src.hasRemaining()) {
                    dst.put(src.get() & 0xFF);
                }
            }
            case BOOL -> {
                while (src.hasRemaining()) {
                    dst.put(src.get() != 0 ? 1f : 0f);
                }
            }
        }
    }

    private static SafeTensors openIndex(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidInputException(index + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new InvalidInputException(index + ": no \"weight_map\" object");
        }
        Path dir = index.toAbsolutePath().getParent();
        Map<String, Path> shardOf = new LinkedHashMap<>();
        Map<String, Path> shardFiles = new TreeMap<>(); // file-name order, so the tensor order is stable
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidInputException(index + ": weight_map entry for tensor '" + e.getKey()
                        + "' is not a file name: " + e.getValue());
            }
            String fileName = e.getValue().asText();
            Path shard = dir.resolve(fileName);
            if (!Files.isRegularFile(shard)) {
                throw new InvalidInputException(index + ": weight_map puts tensor '" + e.getKey()
                        + "' in shard '" + fileName + "', which does not exist in " + dir);
            }
            shardOf.put(e.getKey(), shard);
            shardFiles.putIfAbsent(fileName, shard);
        }
        if (shardFiles.isEmpty()) {
            throw new InvalidInputException(index + ": weight_map is empty");
        }
        SafeTensors st = openFiles(index, List.copyOf(shardFiles.values()));
        for (Map.Entry<String, Path> e : shardOf.entrySet()) {
            TensorInfo t = st.tensors.get(e.getKey());
            if (t == null || !t.file().equals(e.getValue())) {
                st.close();
                throw new InvalidInputException(index + ": weight_map puts tensor '" + e.getKey() + "' in "
                        + e.getValue().getFileName() + ", but "
                        + (t == null ? "that shard does not contain it" : "it is in " + t.file().getFileName()));
            }
        }
        return st;
    }

    /** Opens and validates the files; {@code source} names the checkpoint in messages about it as a whole. */
    private static SafeTensors openFiles(Path source, List<Path> files) {
        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = null;
            for (Path file : files) {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                channels.put(file, channel);
                Map<String, String> fileMetadata = new LinkedHashMap<>();
                for (TensorInfo t : readHeader(file, channel, fileMetadata)) {
                    TensorInfo previous = tensors.putIfAbsent(t.name(), t);
                    if (previous != null) {
                        throw new InvalidInputException(file + ": tensor '" + t.name() + "' is also in "
                                + previous.file() + "; a tensor may be in only one shard");
                    }
                }
                metadata = metadata == null ? fileMetadata : metadata;
            }
            return new SafeTensors(source, tensors, metadata, channels);
        } catch (IOException | RuntimeException e) {
            for (FileChannel c : channels.values()) {
                try {
                    c.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof NoSuchFileException) {
                throw new InvalidInputException(e.getMessage() + ": no such file", e);
            }
            if (e instanceof IOException) {
                throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    /** Parses and validates one file's header; returns its tensors in data order and fills {@code metadataOut}. */
    private static List<TensorInfo> readHeader(Path file, FileChannel channel, Map<String, String> metadataOut)
            throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new InvalidInputException(file + ": too short for a safetensors file (" + fileSize
                    + " bytes, the header length alone takes 8)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        // Unsigned in the format: a negative long is a huge length, absurd as well.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new InvalidInputException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " is absurd (limit " + MAX_HEADER_BYTES + " bytes): not a safetensors file, or corrupt");
        }
        if (8 + headerLength > fileSize) {
            throw new InvalidInputException(file + ": header length " + headerLength
                    + " exceeds the file (" + fileSize + " bytes): truncated or not a safetensors file");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        JsonNode header;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(headerBytes.flip()).toString();
            header = JSON.readTree(text);
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(file + ": header is not valid UTF-8", e);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new InvalidInputException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLength;
        List<TensorInfo> result = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadataOut);
            } else {
                result.add(parseTensor(file, e.getKey(), e.getValue(), dataStart, fileSize));
            }
        }
        result.sort(Comparator.comparingLong(TensorInfo::dataOffset).thenComparingLong(TensorInfo::byteLength));
        for (int i = 1; i < result.size(); i++) {
            TensorInfo prev = result.get(i - 1);
            TensorInfo cur = result.get(i);
            if (cur.dataOffset() < prev.dataOffset() + prev.byteLength()) {
                throw new InvalidInputException(file + ": tensor '" + cur.name() + "' overlaps tensor '"
                        + prev.name() + "' (data_offsets [" + (cur.dataOffset() - dataStart) + ", "
                        + (cur.dataOffset() - dataStart + cur.byteLength()) + ") and [" + (prev.dataOffset() - dataStart)
                        + ", " + (prev.dataOffset() - dataStart + prev.byteLength()) + "))");
            }
        }
        return result;
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new InvalidInputException(file + ": __metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new InvalidInputException(
                        file + ": __metadata__ value of '" + e.getKey() + "' is not a string: " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataStart, long fileSize) {
        String where = file + ": tensor '" + name + "': ";
        if (!node.isObject()) {
            throw new InvalidInputException(where + "entry is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new InvalidInputException(where + "missing or non-string \"dtype\"");
        }
        DType dtype;
        try {
            dtype = DType.parse(dtypeNode.asText());
        } catch (InvalidInputException e) {
            throw new InvalidInputException(where + e.getMessage(), e);
        }
        long[] shape = nonNegativeLongs(where, node.get("shape"), "shape", -1);
        long[] offsets = nonNegativeLongs(where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new InvalidInputException(where + "data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        long expected;
        try {
            long numel = 1;
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new InvalidInputException(where + "shape overflows: " + node.get("shape"), e);
        }
        if (end - begin != expected) {
            throw new InvalidInputException(where + "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes, but shape " + node.get("shape") + " of " + dtype + " needs " + expected);
        }
        if (end > fileSize - dataStart) {
            throw new InvalidInputException(where + "truncated: expected at least " + (dataStart + end)
                    + " bytes, file has " + fileSize);
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, expected);
    }

    /** The array of non-negative integers {@code node}; {@code length} -1 means any length. */
    private static long[] nonNegativeLongs(String where, JsonNode node, String field, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new InvalidInputException(where + "\"" + field + "\" is missing or not an array"
                    + (length >= 0 ? " of " + length : "") + ": " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new InvalidInputException(
                        where + "\"" + field + "\" must hold non-negative integers, got " + node);
            }
            values[i] = v.asLong();
        }
        return values;
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position + dst.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }
}
