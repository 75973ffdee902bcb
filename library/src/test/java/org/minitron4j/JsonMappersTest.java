package org.minitron4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class JsonMappersTest {
    record Metrics(double acc, Double stderr, float loss, double[] logprobs, float[] floats, List<Double> list,
                   Map<String, Double> map) {}

    @Test
    void nonFiniteNumbersAreNullEverywhere() throws Exception {
        Map<String, Double> map = new LinkedHashMap<>();
        map.put("a", Double.NEGATIVE_INFINITY);
        map.put("b", 0.25);
        Metrics m = new Metrics(Double.NaN, Double.POSITIVE_INFINITY, Float.NaN,
                new double[] {-1.5, Double.NEGATIVE_INFINITY, Double.NaN}, new float[] {Float.POSITIVE_INFINITY, 2f},
                List.of(Double.NaN, 3.0), map);
        String want = "{\"acc\":null,\"stderr\":null,\"loss\":null,\"logprobs\":[-1.5,null,null],"
                + "\"floats\":[null,2.0],\"list\":[null,3.0],\"map\":{\"a\":null,\"b\":0.25}}";
        ObjectMapper copy = JsonMappers.shared().copy();
        for (ObjectMapper mapper : new ObjectMapper[] {JsonMappers.shared(), JsonMappers.builder().build(), copy}) {
            assertEquals(want, mapper.writeValueAsString(m));
            assertEquals(want, mapper.writeValueAsString(mapper.valueToTree(m)), "through a tree");
        }
        assertEquals(JsonMappers.shared().readTree(want), JsonMappers.shared().readTree(
                JsonMappers.indented().writeValueAsString(m)));

        ObjectNode o = JsonMappers.shared().createObjectNode();
        o.put("nan", Double.NaN);
        o.put("inf", Float.NEGATIVE_INFINITY);
        o.put("x", 1.0);
        o.putArray("arr").add(Double.POSITIVE_INFINITY);
        assertEquals("{\"nan\":null,\"inf\":null,\"x\":1.0,\"arr\":[null]}", JsonMappers.shared().writeValueAsString(o));
        assertEquals("{\"nan\":\"NaN\"}", new ObjectMapper().writeValueAsString(
                new ObjectMapper().createObjectNode().put("nan", Double.NaN)), "what Jackson writes by default");
    }

    @Test
    void theStrictReaderRefusesAKeyGivenTwiceWhereTheSharedOneKeepsTheLast() throws Exception {
        String twice = "{\"a\":1,\"a\":2}";
        assertThrows(JsonProcessingException.class, () -> JsonMappers.strict().readTree(twice));
        assertEquals(2, JsonMappers.shared().readTree(twice).get("a").asInt());
    }

    @Test
    void everyMapperOfTheLibraryComesFromJsonMappers() throws IOException {
        Path main = Paths.get("src/main/java");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(main)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                if (f.getFileName().toString().equals("JsonMappers.java")) {
                    continue;
                }
                String src = Files.readString(f);
                for (String bad : new String[] {"new ObjectMapper(", "new JsonMapper(", "JsonMapper.builder(",
                        "new JsonFactory(", "JsonFactory.builder("}) {
                    if (src.contains(bad)) {
                        offenders.add(main.relativize(f) + ": " + bad);
                    }
                }
            }
        }
        assertTrue(offenders.isEmpty(), "make these mappers with JsonMappers (non-finite numbers as null): " + offenders);
    }
}
