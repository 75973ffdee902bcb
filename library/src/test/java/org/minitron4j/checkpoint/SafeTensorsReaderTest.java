package org.minitron4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.minitron4j.InvalidInputException;

/** Reading hand-built safetensors files, whose header and bytes are written here without the library. */
class SafeTensorsReaderTest {
    @TempDir
    Path dir;

    /** Writes the 8-byte little-endian header length, the header as UTF-8, then the data. */
    static Path writeRaw(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(file, b.array());
    }

    static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.remaining()];
        b.duplicate().get(a);
        return a;
    }

    static void assertInvalid(Executable call, String... fragments) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should contain '" + f + "': " + e.getMessage());
        }
    }

    @Test
    void readsEveryDtypeWithCorrectValuesShapesAndOffsets() throws IOException {
        ByteBuffer d = le(200);
        // f32 [2,3] at [0,24)
        for (float v : new float[] {1, -2.5f, 0x1p-149f, -0.0f, Float.POSITIVE_INFINITY, 3e38f}) {
            d.putFloat(v);
        }
        // bf16 [4] at [24,32): 1, -2, inf, 0.15625 (0x3E200000)
        for (int s : new int[] {0x3F80, 0xC000, 0x7F80, 0x3E20}) {
            d.putShort((short) s);
        }
        // f16 [9] at [32,50): 1, 65504, 2^-24, 1023*2^-24, 2^-14, -0, -inf, NaN, -5
        for (int s : new int[] {0x3C00, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0xFC00, 0x7E00, 0xC500}) {
            d.putShort((short) s);
        }
        d.position(56); // [50,56) unused
        d.putDouble(0.5).putDouble(-3.25); // f64 [2] at [56,72)
        d.putLong(-7).putLong(1L << 40); // i64 [2] at [72,88)
        d.putInt(123456); // i32 [1,1] at [88,92)
        d.putShort((short) -32768).putShort((short) 300); // i16 [2] at [92,96)
        d.put((byte) -1).put((byte) 127); // i8 [2] at [96,98)
        d.put((byte) 255).put((byte) 0); // u8 [2] at [98,100)
        d.put((byte) 1).put((byte) 0).put((byte) 1); // bool [3] at [100,103)
        d.put((byte) 0); // [103,104) unused
        d.putFloat(42); // scalar at [104,108)
        int dataLength = d.position();
        // Header order deliberately differs from data order.
        String header = """
                {"bf16":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},
                 "f32":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},
                 "__metadata__":{"format":"pt","note":"ünïcode"},
                 "f16":{"dtype":"F16","shape":[9],"data_offsets":[32,50]},
                 "f64":{"dtype":"F64","shape":[2],"data_offsets":[56,72]},
                 "i64":{"dtype":"I64","shape":[2],"data_offsets":[72,88]},
                 "i32":{"dtype":"I32","shape":[1,1],"data_offsets":[88,92]},
                 "i16":{"dtype":"I16","shape":[2],"data_offsets":[92,96]},
                 "i8":{"dtype":"I8","shape":[2],"data_offsets":[96,98]},
                 "u8":{"dtype":"U8","shape":[2],"data_offsets":[98,100]},
                 "bool":{"dtype":"BOOL","shape":[3],"data_offsets":[100,103]},
                 "empty":{"dtype":"F32","shape":[0,4],"data_offsets":[104,104]},
                 "scalar":{"dtype":"F32","shape":[],"data_offsets":[104,108]}}""";
        Path file = writeRaw(dir.resolve("x.safetensors"), header,
                Arrays.copyOf(d.array(), dataLength));
        long dataStart = 8 + header.getBytes(StandardCharsets.UTF_8).length;

        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("f32", "bf16", "f16", "f64", "i64", "i32", "i16", "i8", "u8", "bool", "empty",
                    "scalar"), List.copyOf(st.names()));
            assertEquals(Map.of("format", "pt", "note", "ünïcode"), st.metadata());
            assertTrue(st.contains("f16"));
            assertFalse(st.contains("nope"));

            TensorInfo f32 = st.info("f32");
            assertEquals(new TensorInfo("f32", DType.F32, new long[] {2, 3}, file, dataStart, 24), f32);
            assertEquals(6, f32.numel());
            assertEquals(dataStart + 32, st.info("f16").dataOffset());
            assertEquals(18, st.info("f16").byteLength());
            assertEquals(1, st.info("scalar").numel());
            assertArrayEquals(new long[0], st.info("scalar").shape());

            FloatBuffer b = st.readFloat32("f32");
            assertTrue(b.isDirect());
            assertEquals(ByteOrder.nativeOrder(), b.order());
            assertEquals(0, b.position());
            assertEquals(6, b.capacity());
            assertEquals(6, b.limit());
            assertArrayEquals(new float[] {1, -2.5f, 0x1p-149f, -0.0f, Float.POSITIVE_INFINITY, 3e38f}, toArray(b));
            assertArrayEquals(new float[] {1, -2, Float.POSITIVE_INFINITY, 0.15625f}, toArray(st.readFloat32("bf16")));
            assertArrayEquals(new float[] {1, 65504, (float) Math.pow(2, -24), (float) (1023 * Math.pow(2, -24)),
                    (float) Math.pow(2, -14), -0.0f, Float.NEGATIVE_INFINITY, Float.NaN, -5},
                    toArray(st.readFloat32("f16")));
            assertArrayEquals(new float[] {0.5f, -3.25f}, toArray(st.readFloat32("f64")));
            assertArrayEquals(new float[] {-7, 1099511627776f}, toArray(st.readFloat32("i64")));
            assertArrayEquals(new float[] {123456}, toArray(st.readFloat32("i32")));
            assertArrayEquals(new float[] {-32768, 300}, toArray(st.readFloat32("i16")));
            assertArrayEquals(new float[] {-1, 127}, toArray(st.readFloat32("i8")));
            assertArrayEquals(new float[] {255, 0}, toArray(st.readFloat32("u8")));
            assertArrayEquals(new float[] {1, 0, 1}, toArray(st.readFloat32("bool")));
            assertEquals(0, st.readFloat32("empty").capacity());
            assertArrayEquals(new float[] {42}, toArray(st.readFloat32("scalar")));
            assertInvalid(() -> st.info("missing.weight"), "x.safetensors", "missing.weight");
        }
    }

    @Test
    void opensDirectoryWithSingleFileAndIndexOfShards() throws IOException {
        Path single = dir.resolve("single");
        Files.createDirectories(single);
        writeRaw(single.resolve("model.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                le(4).putFloat(7).array());
        try (SafeTensors st = SafeTensors.open(single)) {
            assertArrayEquals(new float[] {7}, toArray(st.readFloat32("a")));
        }

        Path sharded = dir.resolve("sharded");
        Files.createDirectories(sharded);
        writeRaw(sharded.resolve("model-00002-of-00002.safetensors"),
                "{\"__metadata__\":{\"shard\":\"2\"},\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}",
                le(2).putShort((short) 0x4040).array()); // 3.0
        writeRaw(sharded.resolve("model-00001-of-00002.safetensors"),
                "{\"__metadata__\":{\"shard\":\"1\"},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                le(8).putFloat(2).putFloat(1).array());
        Files.writeString(sharded.resolve("model.safetensors.index.json"), """
                {"metadata":{"total_size":10},
                 "weight_map":{"c":"model-00002-of-00002.safetensors","a":"model-00001-of-00002.safetensors",
                               "b":"model-00001-of-00002.safetensors"}}""");
        try (SafeTensors st = SafeTensors.open(sharded)) {
            assertEquals(List.of("b", "a", "c"), List.copyOf(st.names()));
            assertEquals(Map.of("shard", "1"), st.metadata());
            assertEquals(sharded.resolve("model-00002-of-00002.safetensors"), st.info("c").file());
            assertArrayEquals(new float[] {1}, toArray(st.readFloat32("a")));
            assertArrayEquals(new float[] {2}, toArray(st.readFloat32("b")));
            assertArrayEquals(new float[] {3}, toArray(st.readFloat32("c")));
        }
        try (SafeTensors st = SafeTensors.open(sharded.resolve("model.safetensors.index.json"))) {
            assertEquals(3, st.names().size());
        }
    }

    /** Offsets beyond 2^31 and a tensor larger than one 1 GiB mapping, in a sparse file (no disk cost). */
    @Test
    void longOffsetsAndMultiGigabyteFilesViaSparseFile() throws IOException {
        long bigStart = (1L << 31) + 8; // relative data offset past 2^31
        long bigNumel = (1L << 28) + 16; // f32: 1 GiB + 64 bytes, so it spans two mappings
        long bigEnd = bigStart + bigNumel * 4;
        long farStart = 3_000_000_000L + bigNumel * 4;
        String header = String.format(
                "{\"near\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"big\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%d,%d]},"
                        + "\"far\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[%d,%d]}}",
                bigNumel, bigStart, bigEnd, farStart, farStart + 6);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + h.length;
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + farStart + 6);
            raf.write(le(8 + h.length).putLong(h.length).put(h).array());
            raf.write(le(8).putFloat(1.5f).putFloat(-1.5f).array());
            long[] bigIndexes = {0, (1L << 28) - 1, 1L << 28, bigNumel - 1}; // around the mapping boundary
            for (int i = 0; i < bigIndexes.length; i++) {
                raf.seek(dataStart + bigStart + bigIndexes[i] * 4);
                raf.write(le(4).putFloat(i + 10).array());
            }
            raf.seek(dataStart + farStart);
            raf.write(le(6).putShort((short) 0x3F80).putShort((short) 0xBF80).putShort((short) 0x4000).array());
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(dataStart + farStart, st.info("far").dataOffset());
            assertTrue(st.info("big").dataOffset() > Integer.MAX_VALUE);
            assertArrayEquals(new float[] {1.5f, -1.5f}, toArray(st.readFloat32("near")));
            assertArrayEquals(new float[] {1, -1, 2}, toArray(st.readFloat32("far")));
            FloatBuffer big = st.readFloat32("big");
            assertEquals(bigNumel, big.capacity());
            assertEquals(10, big.get(0));
            assertEquals(0, big.get(1));
            assertEquals(11, big.get((1 << 28) - 1));
            assertEquals(12, big.get(1 << 28));
            assertEquals(0, big.get((1 << 28) + 1));
            assertEquals(13, big.get((int) bigNumel - 1));
        }
    }

    @Test
    void bf16TensorSpanningSeveralParallelConversionChunksReadsEveryElement() throws IOException {
        int numel = 20_000_011; // 40 MB of bf16: more than one 32 MB conversion chunk, and an odd tail
        ByteBuffer data = le(numel * 2);
        for (int i = 0; i < numel; i++) {
            data.putShort((short) (Float.floatToIntBits(pattern(i)) >>> 16)); // small integers: exact in bf16
        }
        Path file = writeRaw(dir.resolve("chunks.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[" + numel + "],\"data_offsets\":[0," + numel * 2 + "]}}",
                data.array());
        try (SafeTensors st = SafeTensors.open(file)) {
            FloatBuffer w = st.readFloat32("w");
            assertEquals(numel, w.capacity());
            for (int i = 0; i < numel; i++) {
                if (w.get(i) != pattern(i)) {
                    assertEquals(pattern(i), w.get(i), "element " + i);
                }
            }
        }
    }

    private static float pattern(int i) {
        return i % 251 - 125;
    }

    // ---- errors: each names the file, and the tensor when there is one ----

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return String.format("\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%d,%d]}", name, dtype, shape,
                begin, end);
    }

    @Test
    void missingFileAndEmptyDirectory() throws IOException {
        assertInvalid(() -> SafeTensors.open(dir.resolve("nope.safetensors")), "nope.safetensors");
        Path empty = Files.createDirectories(dir.resolve("emptyckpt"));
        assertInvalid(() -> SafeTensors.open(empty), "emptyckpt", "model.safetensors");
    }

    @Test
    void fileTooShortForHeaderLength() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3});
        assertInvalid(() -> SafeTensors.open(f), "short.safetensors", "too short");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        Path f = Files.write(dir.resolve("long.safetensors"), le(50).putLong(1000).array());
        assertInvalid(() -> SafeTensors.open(f), "long.safetensors", "header length 1000", "50 bytes");
    }

    @Test
    void headerLengthAbsurd() throws IOException {
        Path f = Files.write(dir.resolve("absurd.safetensors"), le(64).putLong(200_000_000L).array());
        assertInvalid(() -> SafeTensors.open(f), "absurd.safetensors", "absurd");
        Path g = Files.write(dir.resolve("huge.safetensors"), le(64).putLong(-1).array());
        assertInvalid(() -> SafeTensors.open(g), "huge.safetensors", "18446744073709551615");
    }

    @Test
    void headerNotJson() throws IOException {
        Path f = writeRaw(dir.resolve("notjson.safetensors"), "{\"a\": [1, 2", new byte[0]);
        assertInvalid(() -> SafeTensors.open(f), "notjson.safetensors", "not valid JSON");
        Path g = writeRaw(dir.resolve("array.safetensors"), "[1,2]", new byte[0]);
        assertInvalid(() -> SafeTensors.open(g), "array.safetensors", "not a JSON object");
        Path dup = writeRaw(dir.resolve("dup.safetensors"),
                "{" + tensor("w", "U8", "[1]", 0, 1) + "," + tensor("w", "U8", "[1]", 1, 2) + "}", new byte[2]);
        assertInvalid(() -> SafeTensors.open(dup), "dup.safetensors", "not valid JSON", "w");
    }

    @Test
    void unknownDtype() throws IOException {
        Path f = writeRaw(dir.resolve("dtype.safetensors"), "{" + tensor("layer.w", "Q4", "[1]", 0, 1) + "}",
                new byte[1]);
        assertInvalid(() -> SafeTensors.open(f), "dtype.safetensors", "layer.w", "Q4");
    }

    @Test
    void negativeShape() throws IOException {
        Path f = writeRaw(dir.resolve("neg.safetensors"), "{" + tensor("layer.w", "F32", "[-1,2]", 0, 0) + "}",
                new byte[0]);
        assertInvalid(() -> SafeTensors.open(f), "neg.safetensors", "layer.w", "shape");
    }

    @Test
    void offsetsNotMatchingShape() throws IOException {
        Path f = writeRaw(dir.resolve("size.safetensors"), "{" + tensor("layer.w", "F32", "[2,2]", 0, 12) + "}",
                new byte[16]);
        assertInvalid(() -> SafeTensors.open(f), "size.safetensors", "layer.w", "needs 16");
        Path g = writeRaw(dir.resolve("reversed.safetensors"), "{" + tensor("layer.v", "U8", "[0]", 4, 0) + "}",
                new byte[4]);
        assertInvalid(() -> SafeTensors.open(g), "reversed.safetensors", "layer.v", "data_offsets");
    }

    @Test
    void truncatedFile() throws IOException {
        String header = "{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("layer.w", "F32", "[4]", 4, 20) + "}";
        Path f = writeRaw(dir.resolve("trunc.safetensors"), header, new byte[8]);
        long dataStart = 8 + header.length();
        assertInvalid(() -> SafeTensors.open(f), "trunc.safetensors", "layer.w",
                "truncated: expected at least " + (dataStart + 20) + " bytes, file has " + (dataStart + 8));
    }

    @Test
    void overlappingTensors() throws IOException {
        Path f = writeRaw(dir.resolve("overlap.safetensors"),
                "{" + tensor("first", "F32", "[4]", 0, 16) + "," + tensor("second", "F32", "[4]", 8, 24) + "}",
                new byte[24]);
        assertInvalid(() -> SafeTensors.open(f), "overlap.safetensors", "first", "second", "overlaps");
    }

    @Test
    void indexNamingMissingShard() throws IOException {
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        writeRaw(ckpt.resolve("a.safetensors"), "{" + tensor("x", "U8", "[1]", 0, 1) + "}", new byte[1]);
        Files.writeString(ckpt.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"x\":\"a.safetensors\",\"layer.w\":\"gone.safetensors\"}}");
        assertInvalid(() -> SafeTensors.open(ckpt), "model.safetensors.index.json", "layer.w", "gone.safetensors");
    }

    @Test
    void tensorInTwoShards() throws IOException {
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        writeRaw(ckpt.resolve("a.safetensors"), "{" + tensor("layer.w", "U8", "[1]", 0, 1) + "}", new byte[1]);
        writeRaw(ckpt.resolve("b.safetensors"),
                "{" + tensor("x", "U8", "[1]", 0, 1) + "," + tensor("layer.w", "U8", "[1]", 1, 2) + "}", new byte[2]);
        Files.writeString(ckpt.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"x\":\"b.safetensors\",\"layer.w\":\"a.safetensors\"}}");
        assertInvalid(() -> SafeTensors.open(ckpt), "b.safetensors", "a.safetensors", "layer.w", "only one shard");
    }

    @Test
    void indexDisagreeingWithShardsOrMalformed() throws IOException {
        Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
        writeRaw(ckpt.resolve("a.safetensors"), "{" + tensor("x", "U8", "[1]", 0, 1) + "}", new byte[1]);
        Path index = ckpt.resolve("model.safetensors.index.json");
        Files.writeString(index, "{\"weight_map\":{\"x\":\"a.safetensors\",\"layer.w\":\"a.safetensors\"}}");
        assertInvalid(() -> SafeTensors.open(ckpt), "model.safetensors.index.json", "layer.w", "a.safetensors");
        Files.writeString(index, "{\"weight_map\": [");
        assertInvalid(() -> SafeTensors.open(ckpt), "model.safetensors.index.json", "not valid JSON");
        Files.writeString(index, "{\"metadata\":{}}");
        assertInvalid(() -> SafeTensors.open(ckpt), "model.safetensors.index.json", "weight_map");
    }

    @Test
    void readAfterCloseFails() throws IOException {
        Path f = writeRaw(dir.resolve("c.safetensors"), "{" + tensor("x", "U8", "[1]", 0, 1) + "}", new byte[1]);
        SafeTensors st = SafeTensors.open(f);
        st.close();
        assertThrows(IllegalStateException.class, () -> st.readFloat32("x"));
    }
}
