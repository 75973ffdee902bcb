package org.minitron4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.ModelConfig;

class PrunePlanTest {
    /** 8 query heads in 2 KV groups of 4, head_dim 16 ≠ hidden / heads. */
    static final ModelConfig GQA = ModelConfig.llama(100, 64, 160, 6, 8, 2).withHeadDim(16);
    static final ModelConfig MHA = ModelConfig.llama(100, 64, 160, 6, 4, 4);

    static void rejects(String expected, Runnable r) {
        InvalidInputException e = assertThrows(InvalidInputException.class, r::run);
        assertTrue(e.getMessage().contains(expected), "'" + expected + "' in: " + e.getMessage());
    }

    @Test
    void builderGivesTheTargetConfigAndKeepsHeadDim() {
        PrunePlan p = PrunePlan.builder().hiddenSize(48).intermediateSize(96).numAttentionHeads(4).numLayers(4).build();
        ModelConfig t = p.targetConfig(GQA);
        assertEquals(GQA.withHiddenSize(48).withIntermediateSize(96).withHeads(4, 2).withNumLayers(4), t);
        assertEquals(16, t.headDim());
    }

    @Test
    void aMultiHeadModelStaysMultiHeadWhenItsHeadsArePruned() {
        assertEquals(2, PrunePlan.builder().numAttentionHeads(2).build().targetConfig(MHA).numKeyValueHeads());
        assertEquals(2, PrunePlan.builder().numAttentionHeads(4).build().targetConfig(GQA).numKeyValueHeads());
    }

    @Test
    void dropLayerRangeIsInclusiveAndSetsTheLayerCount() {
        PrunePlan p = PrunePlan.builder().dropLayerRange(2, 4).build();
        assertEquals(List.of(2, 3, 4), p.dropLayers());
        assertEquals(3, p.targetConfig(GQA).numLayers());
        assertEquals(List.of(1, 5), PrunePlan.builder().dropLayers(List.of(5, 1)).build().dropLayers(), "sorted");
    }

    @Test
    void impossiblePlansAreRejectedNamingTheKeyAndValue() {
        rejects("hidden_size 128 is larger than the model's 64", () -> PrunePlan.builder().hiddenSize(128).build().validate(GQA));
        rejects("intermediate_size must be > 0, got 0", () -> PrunePlan.builder().intermediateSize(0).build());
        rejects("num_layers must be > 0, got -1", () -> PrunePlan.builder().numLayers(-1).build());
        rejects("num_attention_heads 5 cannot be split evenly over 2 KV groups",
                () -> PrunePlan.builder().numAttentionHeads(5).build().validate(GQA));
        rejects("needs 8 query heads per KV group, but the model's groups have 4",
                () -> PrunePlan.builder().numKeyValueHeads(1).build().validate(GQA));
        rejects("num_key_value_heads 3 is larger than the model's 2",
                () -> PrunePlan.builder().numKeyValueHeads(3).build().validate(GQA));
        rejects("give num_layers (4) or drop_layers ([1]), not both",
                () -> PrunePlan.builder().numLayers(4).dropLayers(List.of(1)).build());
        rejects("drop_layers: layer 6 does not exist (model has 6 layers, 0-5)",
                () -> PrunePlan.builder().dropLayers(List.of(6)).build().validate(GQA));
        rejects("would drop all 6 layers", () -> PrunePlan.builder().dropLayerRange(0, 5).build().validate(GQA));
        rejects("layer 2 is listed twice", () -> PrunePlan.builder().dropLayers(List.of(2, 2)).build());
        rejects("drop layer range 5-3 is empty", () -> PrunePlan.builder().dropLayerRange(5, 3));
    }

    @Test
    void jsonRoundTripsAndUnknownKeysAreRejectedByName() {
        PrunePlan p = PrunePlan.builder().hiddenSize(48).numAttentionHeads(4).numKeyValueHeads(2).dropLayerRange(1, 2).build();
        assertEquals("{\"hidden_size\":48,\"num_attention_heads\":4,\"num_key_value_heads\":2,\"drop_layers\":[1,2]}", p.toJson());
        assertEquals(p, PrunePlan.fromJson(p.toJson()));
        PrunePlan q = PrunePlan.builder().intermediateSize(96).numLayers(3).build();
        assertEquals(q, PrunePlan.fromJson(q.toJson()));
        assertEquals(PrunePlan.none(), PrunePlan.fromJson("{}"));
        rejects("unknown prune plan key 'ffn_hidden_size'", () -> PrunePlan.fromJson("{\"ffn_hidden_size\": 96}"));
        rejects("hidden_size must be an integer, got 4.5", () -> PrunePlan.fromJson("{\"hidden_size\": 4.5}"));
        rejects("hidden_size must be an integer, got \"48\"", () -> PrunePlan.fromJson("{\"hidden_size\": \"48\"}"));
        rejects("drop_layers must be a list", () -> PrunePlan.fromJson("{\"drop_layers\": 3}"));
        rejects("not valid JSON", () -> PrunePlan.fromJson("{hidden"));
    }

    @Test
    void fromMapAcceptsBothSpellingsAndLongs() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hiddenSize", 48L);
        m.put("num_layers", 2);
        m.put("numKeyValueHeads", null);
        PrunePlan p = PrunePlan.fromMap(m);
        assertEquals(48, p.hiddenSize());
        assertEquals(2, p.numLayers());
        assertNull(p.numKeyValueHeads());
        rejects("given twice", () -> PrunePlan.fromMap(Map.of("hidden_size", 4, "hiddenSize", 4)));
    }
}
