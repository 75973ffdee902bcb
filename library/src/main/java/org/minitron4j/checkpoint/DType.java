package org.minitron4j.checkpoint;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.minitron4j.InvalidInputException;

/**
 * Element types of a safetensors checkpoint, named as in the file header. Only the types that occur in language-model
 * checkpoints are supported; any other name in a header is rejected when the checkpoint is opened.
 */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), U8(1), I8(1), BOOL(1);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name used in a safetensors header, e.g. {@code "BF16"}. */
    public String safetensorsName() {
        return name();
    }

    /**
     * The type for a safetensors header name such as {@code "BF16"}.
     *
     * @throws InvalidInputException if the name is not a supported type; callers add the file and tensor to the message
     */
    public static DType parse(String safetensorsName) {
        for (DType t : values()) {
            if (t.name().equals(safetensorsName)) {
                return t;
            }
        }
        throw new InvalidInputException("unknown dtype '" + safetensorsName + "' (supported: "
                + Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", ")) + ")");
    }
}
