package org.minitron4j.checkpoint;

/**
 * Bit conversions between f32 and the two 16-bit float formats of checkpoints (IEEE half and bfloat16). Java 17 has no
 * {@code Float.float16ToFloat}, and the conversion must be exact for subnormals, infinities and NaN.
 */
final class Float16 {
    private Float16() {
    }

    /** IEEE 754 binary16 bits to f32; exact, since every half value is representable as a float. */
    static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) { // inf or NaN: keep the payload, so NaN stays NaN
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant * 2^-24, exact in float
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** f32 to IEEE 754 binary16 bits, rounding to nearest even; overflow gives infinity, tiny values subnormals. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) { // NaN: keep the top payload bits and force a quiet, nonzero mantissa
            return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF));
        }
        if (abs >= 0x477F_F000) { // >= 65520, the midpoint above 65504 (odd mantissa): rounds to inf
            return (short) (sign | 0x7C00);
        }
        if (abs < 0x3880_0000) { // below 2^-14: a subnormal half, i.e. round(|f| * 2^24); rint ties to even
            return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f));
        }
        // Normal: rebias, then drop 13 mantissa bits rounding to nearest even; a carry correctly bumps the exponent.
        int rebiased = abs - 0x3800_0000;
        return (short) (sign | ((rebiased + 0x0FFF + ((rebiased >>> 13) & 1)) >>> 13));
    }

    /** bfloat16 bits to f32: they are the top half of the f32 bits. */
    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** f32 to bfloat16 bits, rounding to nearest even; NaN stays NaN. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) { // NaN: truncating could clear the payload and give inf
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
