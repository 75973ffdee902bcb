package org.minitron4j.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor of a safetensors checkpoint lives: its type and shape, the file holding it, and its byte range in
 * that file. The offset is absolute (header included) and a {@code long}, because shards of large models exceed 2 GiB.
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long dataOffset, long byteLength) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(file, "file");
        shape = shape.clone(); // the record must stay immutable
    }

    /** A copy of the shape; an empty array for a scalar. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    // Records compare array components by identity; compare the shape by value instead.
    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && file.equals(t.file) && dataOffset == t.dataOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), file, dataOffset, byteLength);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + " " + dtype + Arrays.toString(shape) + " in " + file + " @" + dataOffset + "+"
                + byteLength + "]";
    }
}
