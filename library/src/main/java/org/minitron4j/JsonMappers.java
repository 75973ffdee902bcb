package org.minitron4j;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * Every JSON mapper of the library comes from here, so that all JSON it writes follows one rule: a non-finite number
 * (NaN, +Infinity, -Infinity; a double or a float, in a tree node, a record, a map or an array) is written as
 * {@code null}. Jackson's default would write it as a quoted string such as {@code "NaN"}, which JSON readers take for
 * text; a metric that has no value (the standard error of one item, a diverged loss) is {@code null} instead.
 */
public final class JsonMappers {
    private static final JsonMapper SHARED = builder().build();
    private static final JsonMapper INDENTED = builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final JsonMapper STRICT = builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private JsonMappers() {}

    /** A builder for mappers that write non-finite numbers as {@code null} (the three mappers below). */
    static JsonMapper.Builder builder() {
        JsonFactory factory = JsonFactory.builder().addDecorator((f, g) -> new FiniteOrNull(g)).build();
        return JsonMapper.builder(factory);
    }

    /** A shared mapper with Jackson's defaults and the rule above (thread-safe; do not reconfigure it). */
    public static JsonMapper shared() {
        return SHARED;
    }

    /** Like {@link #shared()}, writing indented JSON (files meant to be read by people). */
    public static JsonMapper indented() {
        return INDENTED;
    }

    /**
     * Like {@link #shared()}, for reading input where every key counts (safetensors headers, configs a run is replayed
     * from): a key given twice, a key the target record does not have, or null for a primitive is an error instead
     * of being silently dropped or defaulted.
     */
    public static JsonMapper strict() {
        return STRICT;
    }

    /** Writes NaN and infinities as JSON null; every other value unchanged. */
    private static final class FiniteOrNull extends JsonGeneratorDelegate {
        FiniteOrNull(JsonGenerator g) {
            super(g, false);
        }

        @Override
        public void writeNumber(double v) throws IOException {
            if (Double.isFinite(v)) {
                super.writeNumber(v);
            } else {
                writeNull();
            }
        }

        @Override
        public void writeArray(double[] array, int offset, int length) throws IOException {
            // the delegate would write the array itself, past writeNumber(double)
            writeStartArray(array, length);
            for (int i = offset; i < offset + length; i++) {
                writeNumber(array[i]);
            }
            writeEndArray();
        }

        @Override
        public void writeNumber(float v) throws IOException {
            if (Float.isFinite(v)) {
                super.writeNumber(v);
            } else {
                writeNull();
            }
        }
    }
}
