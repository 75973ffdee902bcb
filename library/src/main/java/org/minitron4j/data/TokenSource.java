package org.minitron4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Tokenizer;

/**
 * Reads a corpus file into one token stream: text ({@code .txt}, {@code .jsonl}) is tokenized document by document,
 * pre-tokenized arrays ({@code .bin} uint16, {@code .npy}) are taken as given.
 */
public final class TokenSource {
    private static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(\\w+)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");
    private static final int MAX_TOKENS = Integer.MAX_VALUE - 16;

    private TokenSource() {}

    /**
     * A file's documents back to back: document i is {@code tokens[starts[i] .. starts[i+1])}, the last one ends at
     * {@code tokens.length}. A pre-tokenized file is one document.
     */
    public record Documents(int[] tokens, int[] starts) {
        public int count() {
            return starts.length;
        }

        /** The tokens of document {@code i}. */
        public int[] document(int i) {
            int end = i + 1 < starts.length ? starts[i + 1] : tokens.length;
            return Arrays.copyOfRange(tokens, starts[i], end);
        }
    }

    /**
     * Reads {@code file} by its extension into one stream, as training reads a corpus (Megatron's convention): text
     * documents are encoded with special tokens and an EOS (end of document) follows each; see
     * {@link #documents(Path, Tokenizer, boolean)}.
     *
     * @param tokenizerOrNull required for {@code .txt} and {@code .jsonl}, ignored otherwise
     * @throws InvalidInputException on an unknown extension, malformed content or a missing tokenizer
     */
    public static int[] read(Path file, @Nullable Tokenizer tokenizerOrNull) {
        return documents(file, tokenizerOrNull, true).tokens();
    }

    /**
     * Reads {@code file} by its extension, keeping where each document starts. Text ({@code .txt}: documents separated
     * by blank lines; {@code .jsonl}: field {@code text}, one document per line) is encoded document by document as the
     * tokenizer's post-processor says (e.g. BOS in front for Llama). With {@code appendEos}, an EOS is appended after
     * each document when the tokenizer has one and its post-processor does not already add it (Megatron's EOD);
     * without, nothing is appended (Hugging Face, lm-evaluation-harness). Pre-tokenized arrays ({@code .bin} uint16,
     * {@code .npy}) are taken as given, as one document.
     *
     * @param tokenizerOrNull required for {@code .txt} and {@code .jsonl}, ignored otherwise
     * @throws InvalidInputException on an unknown extension, malformed content or a missing tokenizer
     */
    public static Documents documents(Path file, @Nullable Tokenizer tokenizerOrNull, boolean appendEos) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("data file not found: " + file);
        }
        try {
            if (name.endsWith(".txt")) {
                return readText(file, need(tokenizerOrNull, file), appendEos);
            } else if (name.endsWith(".jsonl")) {
                return readJsonl(file, need(tokenizerOrNull, file), appendEos);
            } else if (name.endsWith(".bin")) {
                return whole(readBin(file));
            } else if (name.endsWith(".npy")) {
                return whole(readNpy(file));
            }
        } catch (IOException e) {
            throw new InvalidInputException("cannot read data file " + file + ": " + e.getMessage(), e);
        }
        throw new InvalidInputException("unsupported data file " + file
                + ": the extension must be .txt, .jsonl, .bin (uint16) or .npy");
    }

    private static Documents whole(int[] tokens) {
        return new Documents(tokens, new int[] {0});
    }

    /**
     * Writes {@code tokens} as a {@code .bin} file (little-endian uint16, what {@link #read} reads back without a
     * tokenizer): a corpus tokenized once, for commands and sweep arms that would otherwise each tokenize the text again.
     *
     * @throws InvalidInputException when a token id does not fit in 16 bits (a vocabulary over 65,536 words)
     */
    public static void writeBin(Path file, int[] tokens) {
        ByteBuffer buf = ByteBuffer.allocate(tokens.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] > 0xFFFF) {
                throw new InvalidInputException(file + ": token " + tokens[i] + " at position " + i
                        + " does not fit a uint16 .bin file (vocabularies over 65,536 words need .npy)");
            }
            buf.putShort((short) tokens[i]);
        }
        try {
            Files.write(file, buf.array());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether the file holds token ids (.bin, .npy) that are read without a tokenizer. */
    public static boolean isPreTokenized(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".bin") || name.endsWith(".npy");
    }

    /** Throws if any id is negative or at least {@code vocabSize}, naming the source, the position and the id. */
    public static void checkVocab(int[] tokens, int vocabSize, String source) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new InvalidInputException(source + ": token id " + tokens[i] + " at position " + i
                        + " is outside the vocabulary (size " + vocabSize + ")");
            }
        }
    }

    private static Tokenizer need(Tokenizer tok, Path file) {
        if (tok == null) {
            throw new InvalidInputException("text data file " + file
                    + " needs a tokenizer: pass one (a tokenizer.json or the model directory) to tokenize it");
        }
        return tok;
    }

    /** Collects documents' tokens into a growing int array, noting where each starts. */
    private static final class Stream {
        private final Tokenizer tok;
        private final Path file;
        private final boolean eos;
        private int[] data = new int[1024];
        private int size;
        private int[] starts = new int[64];
        private int count;

        Stream(Tokenizer tok, Path file, boolean appendEos) {
            this.tok = tok;
            this.file = file;
            this.eos = appendEos && tok.eosTokenId().isPresent() && !tok.addsEosToken();
        }

        void document(String text) {
            int[] ids = tok.encode(text, true);
            int need = size + ids.length + (eos ? 1 : 0);
            if (need < 0 || need > MAX_TOKENS) {
                throw new InvalidInputException("data file " + file + " has more than " + MAX_TOKENS + " tokens");
            }
            if (need > data.length) {
                data = Arrays.copyOf(data, (int) Math.min(MAX_TOKENS, Math.max(need, 2L * data.length)));
            }
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, 2 * count);
            }
            starts[count++] = size;
            System.arraycopy(ids, 0, data, size, ids.length);
            size += ids.length;
            if (eos) {
                data[size++] = tok.eosTokenId().getAsInt();
            }
        }

        Documents toDocuments() {
            return new Documents(Arrays.copyOf(data, size), Arrays.copyOf(starts, count));
        }
    }

    private static Documents readText(Path file, Tokenizer tok, boolean appendEos) throws IOException {
        Stream out = new Stream(tok, file, appendEos);
        StringBuilder doc = new StringBuilder();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    if (doc.length() > 0) {
                        out.document(doc.toString());
                        doc.setLength(0);
                    }
                } else {
                    if (doc.length() > 0) {
                        doc.append('\n');
                    }
                    doc.append(line);
                }
            }
        }
        if (doc.length() > 0) {
            out.document(doc.toString());
        }
        return out.toDocuments();
    }

    private static Documents readJsonl(Path file, Tokenizer tok, boolean appendEos) {
        Stream out = new Stream(tok, file, appendEos);
        Jsonl.forEachObject(file, (node, lineNo) -> {
            JsonNode text = node.get("text");
            if (text == null || !text.isTextual()) {
                throw new InvalidInputException(file + " line " + lineNo
                        + ": missing string field \"text\"" + (text == null ? "" : " (found " + text + ")"));
            }
            out.document(text.asText());
        });
        return out.toDocuments();
    }

    private static int[] readBin(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long bytes = ch.size();
            if (bytes % 2 != 0) {
                throw new InvalidInputException("uint16 token file " + file + " has an odd byte length " + bytes);
            }
            return readArray(file, ch, 0, bytes / 2, "<u2");
        }
    }

    private static int[] readNpy(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            while (pre.hasRemaining() && ch.read(pre) > 0) {
                // fill
            }
            pre.flip();
            byte[] magic = new byte[Math.min(6, pre.remaining())];
            pre.get(magic);
            if (!Arrays.equals(magic, NPY_MAGIC)) {
                throw new InvalidInputException("not a .npy file: " + file + " (bad magic "
                        + hex(magic) + ", expected 93 4e 55 4d 50 59)");
            }
            if (pre.remaining() < 4) {
                throw new InvalidInputException("truncated .npy header in " + file);
            }
            int major = pre.get() & 0xFF;
            pre.get(); // minor
            long headerLen;
            long headerStart;
            if (major == 1) {
                headerLen = pre.getShort() & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (pre.remaining() < 4) {
                    throw new InvalidInputException("truncated .npy header in " + file);
                }
                headerLen = pre.getInt() & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw new InvalidInputException("unsupported .npy format version " + major + " in " + file);
            }
            if (headerLen > 1 << 20 || headerStart + headerLen > ch.size()) {
                throw new InvalidInputException("truncated or corrupt .npy header in " + file
                        + " (header length " + headerLen + ")");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            ch.position(headerStart);
            while (hb.hasRemaining() && ch.read(hb) > 0) {
                // fill
            }
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher m = DESCR.matcher(header);
            if (!m.find()) {
                throw new InvalidInputException(".npy header of " + file + " has no 'descr': " + header.strip());
            }
            String descr = m.group(1);
            if (!descr.equals("<i4") && !descr.equals("<u2") && !descr.equals("<i8") && !descr.equals("<u4")
                    && !descr.equals("|u1") && !descr.equals("<u1")) {
                throw new InvalidInputException(".npy file " + file + " has dtype '" + descr
                        + "'; supported: <i4, <u2, <i8, <u4, |u1 (little-endian integers)");
            }
            m = FORTRAN.matcher(header);
            if (!m.find()) {
                throw new InvalidInputException(".npy header of " + file + " has no 'fortran_order': " + header.strip());
            }
            if (!m.group(1).equals("False")) {
                throw new InvalidInputException(".npy file " + file + " has fortran_order " + m.group(1)
                        + "; only C order (False) is supported");
            }
            m = SHAPE.matcher(header);
            if (!m.find()) {
                throw new InvalidInputException(".npy header of " + file + " has no 'shape': " + header.strip());
            }
            String[] dims = Arrays.stream(m.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty())
                    .toArray(String[]::new);
            if (dims.length < 1 || dims.length > 2) {
                throw new InvalidInputException(".npy file " + file + " has shape (" + m.group(1)
                        + "); expected 1-D or 2-D");
            }
            long count = 1;
            for (String d : dims) {
                try {
                    count = Math.multiplyExact(count, Long.parseLong(d));
                } catch (NumberFormatException | ArithmeticException e) {
                    throw new InvalidInputException(".npy file " + file + " has a bad shape (" + m.group(1) + ")");
                }
            }
            long dataStart = headerStart + headerLen;
            int item = itemSize(descr);
            if (dataStart + count * item > ch.size()) {
                throw new InvalidInputException(".npy file " + file + " is truncated: shape (" + m.group(1)
                        + ") needs " + count * item + " bytes of data, the file has " + (ch.size() - dataStart));
            }
            return readArray(file, ch, dataStart, count, descr);
        }
    }

    private static int itemSize(String descr) {
        return switch (descr.substring(2)) {
            case "1" -> 1;
            case "2" -> 2;
            case "4" -> 4;
            default -> 8;
        };
    }

    /** Bulk-reads {@code count} little-endian integers of {@code descr} via memory-mapped chunks. */
    private static int[] readArray(Path file, FileChannel ch, long start, long count, String descr)
            throws IOException {
        if (count > MAX_TOKENS) {
            throw new InvalidInputException("data file " + file + " has " + count + " tokens; at most " + MAX_TOKENS
                    + " fit in one stream");
        }
        int item = itemSize(descr);
        int[] out = new int[(int) count];
        int chunkItems = (1 << 26) / item; // 64 MiB per mapping
        int done = 0;
        while (done < count) {
            int n = (int) Math.min(chunkItems, count - done);
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, start + (long) done * item, (long) n * item);
            map.order(ByteOrder.LITTLE_ENDIAN);
            switch (descr) {
                case "|u1", "<u1" -> {
                    byte[] b = new byte[n];
                    map.get(b);
                    for (int i = 0; i < n; i++) {
                        out[done + i] = b[i] & 0xFF;
                    }
                }
                case "<u2" -> {
                    short[] s = new short[n];
                    map.asShortBuffer().get(s);
                    for (int i = 0; i < n; i++) {
                        out[done + i] = s[i] & 0xFFFF;
                    }
                }
                case "<i4", "<u4" -> {
                    map.asIntBuffer().get(out, done, n);
                    for (int i = 0; i < n; i++) {
                        if (out[done + i] < 0) {
                            long v = descr.equals("<u4") ? out[done + i] & 0xFFFFFFFFL : out[done + i];
                            throw badValue(file, done + i, v);
                        }
                    }
                }
                default -> { // <i8
                    long[] l = new long[n];
                    map.asLongBuffer().get(l);
                    for (int i = 0; i < n; i++) {
                        if (l[i] < 0 || l[i] > Integer.MAX_VALUE) {
                            throw badValue(file, done + i, l[i]);
                        }
                        out[done + i] = (int) l[i];
                    }
                }
            }
            done += n;
        }
        return out;
    }

    private static InvalidInputException badValue(Path file, long position, long value) {
        return new InvalidInputException(file + ": token id " + value + " at position " + position
                + " is not a valid token id");
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(sb.length() > 0 ? " " : "").append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }
}
