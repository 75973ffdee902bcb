package org.minitron4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The f16/bf16 bit conversions against known bit patterns and the slow reference in {@link Float16Reference}. */
class SafeTensorsFloat16Test {

    private static void assertHalf(int expectedBits, float f) {
        assertEquals(String.format("0x%04X", expectedBits), String.format("0x%04X", Float16.floatToHalf(f) & 0xFFFF),
                "f16 bits of " + f);
    }

    private static void assertBf16(int expectedBits, float f) {
        assertEquals(String.format("0x%04X", expectedBits), String.format("0x%04X", Float16.floatToBf16(f) & 0xFFFF),
                "bf16 bits of " + f);
    }

    @Test
    void halfKnownPatternsDecode() {
        assertEquals(1.0f, Float16.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, Float16.halfToFloat((short) 0xC000));
        assertEquals(65504f, Float16.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Float16.halfToFloat((short) 0x0001));
        assertEquals(1023 * 0x1p-24f, Float16.halfToFloat((short) 0x03FF));
        assertEquals(0x1p-14f, Float16.halfToFloat((short) 0x0400));
        assertEquals(0.333251953125f, Float16.halfToFloat((short) 0x3555));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Float16.halfToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, Float16.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float16.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(Float16.halfToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(Float16.halfToFloat((short) 0x7C01)));
    }

    @Test
    void halfDecodeMatchesFormulaForEveryFinitePattern() {
        for (int h = 0; h <= 0xFFFF; h++) {
            if ((h & 0x7C00) == 0x7C00) {
                continue; // inf/NaN covered above
            }
            assertEquals(Float16Reference.halfValue(h), Float16.halfToFloat((short) h), 0.0, "pattern " + h);
        }
    }

    @Test
    void halfKnownPatternsEncode() {
        assertHalf(0x3C00, 1.0f);
        assertHalf(0xC000, -2.0f);
        assertHalf(0x7BFF, 65504f);
        assertHalf(0x7BFF, 65519.99f); // just below the midpoint to inf
        assertHalf(0x7C00, 65520f); // midpoint, ties to even = inf
        assertHalf(0x7C00, 1e10f);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertHalf(0x0001, 0x1p-24f); // smallest subnormal
        assertHalf(0x0000, 0x1p-25f); // half of it: tie to even (0)
        assertHalf(0x0001, Math.nextUp(0x1p-25f));
        assertHalf(0x0002, 3 * 0x1p-25f); // 1.5 ulps: tie to even (2)
        assertHalf(0x0400, 0x1p-14f);
        assertHalf(0x0400, 0x1p-14f - 0x1p-25f); // largest subnormal + half ulp rounds up into the normals
        assertHalf(0x8000, -0.0f);
        assertHalf(0x8000, -1e-10f); // underflow keeps the sign
        assertHalf(0x3C00, 1 + 0x1p-11f); // tie between 0x3C00 and 0x3C01: even
        assertHalf(0x3C02, 1 + 3 * 0x1p-11f); // tie between 0x3C01 and 0x3C02: even
        assertHalf(0x3C01, Math.nextUp(1 + 0x1p-11f));
        assertHalf(0x4000, 2 - 0x1p-11f); // tie between 0x3BFF and 0x4000 (carry into exponent): even
        int nan = Float16.floatToHalf(Float.NaN) & 0xFFFF;
        assertTrue((nan & 0x7C00) == 0x7C00 && (nan & 0x3FF) != 0, "NaN stays NaN");
        int payloadNan = Float16.floatToHalf(Float.intBitsToFloat(0x7F80_0001)) & 0xFFFF;
        assertTrue((payloadNan & 0x3FF) != 0, "NaN with a low payload stays NaN");
    }

    @Test
    void halfEncodeMatchesReferenceAtEveryMidpointAndRandomly() {
        for (int h = 0; h < 0x7BFF; h++) {
            float mid = (float) ((Float16Reference.halfValue(h) + Float16Reference.halfValue(h + 1)) / 2);
            for (float f : new float[] {mid, Math.nextDown(mid), Math.nextUp(mid), -mid}) {
                assertEquals(Float16Reference.toHalf(f), Float16.floatToHalf(f), "value " + f);
            }
        }
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (i % 2 == 0) {
                f = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(-30, 18)));
            }
            if (Float.isFinite(f)) {
                assertEquals(Float16Reference.toHalf(f), Float16.floatToHalf(f), "value " + f);
            }
        }
    }

    @Test
    void halfRoundTripIsIdentityForEveryPattern() {
        for (int h = 0; h <= 0xFFFF; h++) {
            float f = Float16.halfToFloat((short) h);
            int back = Float16.floatToHalf(f) & 0xFFFF;
            if (Float.isNaN(f)) {
                assertTrue((back & 0x7C00) == 0x7C00 && (back & 0x3FF) != 0, "NaN pattern " + h);
            } else {
                assertEquals(h, back, "pattern " + h);
            }
        }
    }

    @Test
    void bf16KnownPatterns() {
        assertEquals(1.0f, Float16.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, Float16.bf16ToFloat((short) 0xC000));
        assertEquals(Float.POSITIVE_INFINITY, Float16.bf16ToFloat((short) 0x7F80));
        assertEquals(0x1p-133f, Float16.bf16ToFloat((short) 0x0001)); // subnormal
        assertTrue(Float.isNaN(Float16.bf16ToFloat((short) 0x7FC0)));
        assertBf16(0x3F80, 1.0f);
        assertBf16(0xC000, -2.0f);
        assertBf16(0x8000, -0.0f);
        assertBf16(0x3F80, 1 + 0x1p-8f); // tie: even
        assertBf16(0x3F82, 1 + 3 * 0x1p-8f); // tie: even
        assertBf16(0x3F81, Float.intBitsToFloat(0x3F80_8001));
        assertBf16(0x3F80, Float.intBitsToFloat(0x3F80_7FFF));
        assertBf16(0x4000, Float.intBitsToFloat(0x3FFF_8000)); // tie with carry into the exponent
        assertBf16(0x7F80, Float.MAX_VALUE); // rounds up to inf
        assertBf16(0x7F80, Float.POSITIVE_INFINITY);
        assertBf16(0x7F7F, Float.intBitsToFloat(0x7F7F_7FFF));
        for (int nanBits : new int[] {0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF}) {
            int b = Float16.floatToBf16(Float.intBitsToFloat(nanBits)) & 0xFFFF;
            assertTrue((b & 0x7F80) == 0x7F80 && (b & 0x7F) != 0, "NaN stays NaN: " + Integer.toHexString(nanBits));
        }
    }

    @Test
    void bf16EncodeMatchesReferenceRandomly() {
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 200_000; i++) {
            int bits = random.nextInt();
            if (i % 2 == 0) {
                bits = ((bits & 0xFFFF_0000) | 0x8000) + random.nextInt(3) - 1; // at or next to a midpoint
            }
            float f = Float.intBitsToFloat(bits);
            if (Float.isFinite(f)) {
                assertEquals(Float16Reference.toBf16(f), Float16.floatToBf16(f), "bits " + Integer.toHexString(bits));
                assertEquals(Float.intBitsToFloat(bits & 0xFFFF_0000), Float16.bf16ToFloat((short) (bits >>> 16)));
            }
        }
    }
}
