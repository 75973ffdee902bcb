package org.minitron4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.TestTokenizers;
import org.minitron4j.model.Tokenizer;

class TokenSourceTest {
    @TempDir Path dir;

    // ids: <unk>=0 <s>=1 </s>=2 a=3 b=4 c=5
    private Tokenizer tokenizer(boolean addEos) throws Exception {
        Path d = dir.resolve(addEos ? "tok-eos" : "tok");
        TestTokenizers.writeWordLevel(d, List.of("a", "b", "c"), addEos);
        return Tokenizer.load(d);
    }

    private static void assertMessage(InvalidInputException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + p + "' not in: " + e.getMessage());
        }
    }

    @Test
    void textDocumentsSplitOnBlankLinesWithBosAndEos() throws Exception {
        Path f = dir.resolve("c.txt");
        Files.writeString(f, "\n\na b\nc\n\n \n\nc\n\n\n");
        try (Tokenizer tok = tokenizer(false)) {
            assertArrayEquals(new int[] {1, 3, 4, 5, 2, 1, 5, 2}, TokenSource.read(f, tok));
        }
        try (Tokenizer tok = tokenizer(true)) { // the post-processor adds </s>: not appended twice
            assertArrayEquals(new int[] {1, 3, 4, 5, 2, 1, 5, 2}, TokenSource.read(f, tok));
        }
    }

    @Test
    void documentsKeepTheirBoundsAndGetEosOnlyWhenAsked() throws Exception {
        Path f = dir.resolve("d.txt");
        Files.writeString(f, "a b\nc\n\nc\n\nb a\n");
        try (Tokenizer tok = tokenizer(false)) {
            TokenSource.Documents plain = TokenSource.documents(f, tok, false); // as the post-processor says: BOS only
            assertArrayEquals(new int[] {1, 3, 4, 5, 1, 5, 1, 4, 3}, plain.tokens());
            assertArrayEquals(new int[] {0, 4, 6}, plain.starts());
            assertEquals(3, plain.count());
            assertArrayEquals(new int[] {1, 5}, plain.document(1));
            assertArrayEquals(new int[] {1, 4, 3}, plain.document(2));

            TokenSource.Documents eod = TokenSource.documents(f, tok, true); // Megatron: EOS after each document
            assertArrayEquals(new int[] {1, 3, 4, 5, 2, 1, 5, 2, 1, 4, 3, 2}, eod.tokens());
            assertArrayEquals(new int[] {0, 5, 8}, eod.starts());
            assertArrayEquals(new int[] {1, 5, 2}, eod.document(1));
            assertArrayEquals(eod.tokens(), TokenSource.read(f, tok), "read is the EOD stream that training reads");
        }
        Path bin = dir.resolve("d.bin");
        Files.write(bin, new byte[] {7, 0, 8, 0, 9, 0});
        TokenSource.Documents ids = TokenSource.documents(bin, null, false);
        assertArrayEquals(new int[] {7, 8, 9}, ids.tokens());
        assertEquals(1, ids.count(), "a token file is one document");
        assertArrayEquals(new int[] {7, 8, 9}, ids.document(0));
    }

    @Test
    void jsonlOneDocumentPerLine() throws Exception {
        Path f = dir.resolve("c.jsonl");
        Files.writeString(f, "{\"text\": \"a b\", \"id\": 1}\n\n{\"text\": \"c a\"}\n");
        try (Tokenizer tok = tokenizer(false)) {
            assertArrayEquals(new int[] {1, 3, 4, 2, 1, 5, 3, 2}, TokenSource.read(f, tok));
        }
    }

    @Test
    void jsonlErrorsNameFileAndLine() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        try (Tokenizer tok = tokenizer(false)) {
            Files.writeString(f, "{\"text\": \"a\"}\nnot json\n");
            assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f, tok)),
                    "bad.jsonl", "line 2");
            Files.writeString(f, "{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"body\": \"c\"}\n");
            assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f, tok)),
                    "bad.jsonl", "line 3", "text");
            Files.writeString(f, "{\"text\": 5}\n");
            assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f, tok)),
                    "line 1", "text");
        }
    }

    @Test
    void textFormatsNeedATokenizer() throws Exception {
        Path t = dir.resolve("c.txt");
        Files.writeString(t, "a");
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(t, null)),
                "c.txt", "tokenizer");
        Path j = dir.resolve("c.jsonl");
        Files.writeString(j, "{\"text\": \"a\"}");
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(j, null)), "tokenizer");
    }

    @Test
    void binIsLittleEndianUint16() throws Exception {
        Path f = dir.resolve("c.bin");
        Files.write(f, new byte[] {1, 0, (byte) 0xFF, (byte) 0xFF, 0x34, 0x12});
        assertArrayEquals(new int[] {1, 65535, 0x1234}, TokenSource.read(f, null));
        Files.write(f, new byte[] {1, 0, 2});
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f, null)), "c.bin", "odd", "3");
    }

    @Test
    void largeBinRoundTrips() throws Exception {
        int n = 200_000;
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putShort((short) (i * 7));
        }
        Path f = dir.resolve("big.bin");
        Files.write(f, b.array());
        int[] t = TokenSource.read(f, null);
        for (int i = 0; i < n; i++) {
            if (t[i] != ((i * 7) & 0xFFFF)) {
                throw new AssertionError("position " + i);
            }
        }
    }

    /** A .npy file written by hand: magic, version, header length, padded dict header, little-endian data. */
    static byte[] npy(int major, String descr, String fortran, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
        int pre = major == 1 ? 10 : 12;
        int total = pre + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        String header = dict + " ".repeat(padded - total) + "\n";
        ByteBuffer b = ByteBuffer.allocate(padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) header.length());
        } else {
            b.putInt(header.length());
        }
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return b.array();
    }

    static byte[] le(int size, long... values) {
        ByteBuffer b = ByteBuffer.allocate(size * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            switch (size) {
                case 1 -> b.put((byte) v);
                case 2 -> b.putShort((short) v);
                case 4 -> b.putInt((int) v);
                default -> b.putLong(v);
            }
        }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    @Test
    void npyAllDtypesAndVersions() throws Exception {
        int[] want = {0, 7, 255, 3};
        long[] v = {0, 7, 255, 3};
        assertArrayEquals(want, TokenSource.read(write("a.npy", npy(1, "<i4", "False", "(4,)", le(4, v))), null));
        assertArrayEquals(want, TokenSource.read(write("b.npy", npy(2, "<u2", "False", "(4,)", le(2, v))), null));
        assertArrayEquals(want, TokenSource.read(write("c.npy", npy(3, "<i8", "False", "(2, 2)", le(8, v))), null));
        assertArrayEquals(want, TokenSource.read(write("d.npy", npy(1, "<u4", "False", "(4,)", le(4, v))), null));
        assertArrayEquals(want, TokenSource.read(write("e.npy", npy(1, "|u1", "False", "(4,)", le(1, v))), null));
        assertArrayEquals(new int[] {65535},
                TokenSource.read(write("f.npy", npy(1, "<u2", "False", "(1,)", le(2, 65535))), null));
        assertArrayEquals(new int[0], TokenSource.read(write("g.npy", npy(1, "<i4", "False", "(0,)", new byte[0])), null));
    }

    @Test
    void npyErrorsNameFileAndValue() throws Exception {
        ByteArrayOutputStream junk = new ByteArrayOutputStream();
        junk.write(new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0});
        Path f1 = write("magic.npy", junk.toByteArray());
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f1, null)),
                "magic.npy", "magic", "50 4b");
        Path f2 = write("dtype.npy", npy(1, "<f4", "False", "(1,)", le(4, 0)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f2, null)),
                "dtype.npy", "<f4");
        Path f3 = write("big.npy", npy(1, ">i4", "False", "(1,)", le(4, 0)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f3, null)), ">i4");
        Path f4 = write("fortran.npy", npy(1, "<i4", "True", "(2, 2)", le(4, 1, 2, 3, 4)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f4, null)),
                "fortran.npy", "fortran_order", "True");
        Path f5 = write("short.npy", npy(1, "<i4", "False", "(5,)", le(4, 1, 2)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f5, null)),
                "short.npy", "truncated");
        Path f6 = write("neg.npy", npy(1, "<i8", "False", "(2,)", le(8, 1, -5)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f6, null)),
                "neg.npy", "-5", "position 1");
        Path f7 = write("three.npy", npy(1, "<i4", "False", "(1, 1, 1)", le(4, 1)));
        assertMessage(assertThrows(InvalidInputException.class, () -> TokenSource.read(f7, null)), "shape");
    }

    @Test
    void unknownExtensionAndMissingFile() {
        assertMessage(assertThrows(InvalidInputException.class,
                () -> TokenSource.read(dir.resolve("nope.bin"), null)), "nope.bin", "not found");
        assertMessage(assertThrows(InvalidInputException.class,
                () -> TokenSource.read(write("x.csv", new byte[1]), null)), "x.csv", "extension");
    }

    @Test
    void checkVocabNamesSourcePositionAndId() {
        TokenSource.checkVocab(new int[] {0, 5, 9}, 10, "train.bin");
        assertMessage(assertThrows(InvalidInputException.class,
                () -> TokenSource.checkVocab(new int[] {0, 5, 10, 3}, 10, "train.bin")),
                "train.bin", "position 2", "10");
    }
}
