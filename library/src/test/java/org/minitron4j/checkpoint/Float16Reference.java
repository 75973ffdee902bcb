package org.minitron4j.checkpoint;

import java.util.Arrays;

/**
 * Slow, independent reference conversions for the tests: values come from the textbook formulas in double, and
 * rounding is done by searching for the nearest representable value (ties to the even bit pattern). Public for the
 * model tests that check what a random checkpoint stores.
 */
public final class Float16Reference {
    private Float16Reference() {
    }

    /** Values of the half bit patterns 0x0000..0x7C00 (0x7C00 stands for 2^16, the overflow target, i.e. inf). */
    private static final double[] HALF_VALUES = new double[0x7C01];

    static {
        for (int h = 0; h <= 0x7C00; h++) {
            HALF_VALUES[h] = halfValue(h);
        }
    }

    /** Value of a finite positive or negative half by the IEEE formula; 0x7C00 gives 2^16 (see above). */
    static double halfValue(int h) {
        int e = (h >> 10) & 0x1F;
        int m = h & 0x3FF;
        double magnitude = e == 0 ? m * Math.pow(2, -24) : (1 + m / 1024.0) * Math.pow(2, e - 15);
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /** Value of finite or infinite half bits as a float. */
    static float halfFloat(int h) {
        if ((h & 0x7FFF) == 0x7C00) {
            return (h & 0x8000) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        return (float) halfValue(h);
    }

    /** Round-to-nearest-even of a finite float to half bits, by search. */
    public static short toHalf(float x) {
        double a = Math.abs((double) x);
        int i = Arrays.binarySearch(HALF_VALUES, a);
        int bits;
        if (i >= 0) {
            bits = i;
        } else {
            int hi = -i - 1; // first value above a
            if (hi > 0x7C00) {
                bits = 0x7C00; // beyond 2^16
            } else {
                int lo = hi - 1;
                double dLo = a - HALF_VALUES[lo];
                double dHi = HALF_VALUES[hi] - a;
                bits = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
            }
        }
        return (short) (bits | (Math.copySign(1f, x) < 0 ? 0x8000 : 0));
    }

    /** Round-to-nearest-even of a finite float to bfloat16 bits, comparing the two neighbours in double. */
    public static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        int sign = (bits >>> 16) & 0x8000;
        int lo = (bits & 0x7FFF_FFFF) >>> 16;
        int hi = lo + 1;
        double a = Math.abs((double) x);
        double vLo = Float.intBitsToFloat(lo << 16);
        double vHi = hi == 0x7F80 ? Math.scalb(1.0, 128) : Float.intBitsToFloat(hi << 16);
        double dLo = a - vLo;
        double dHi = vHi - a;
        int r = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return (short) (sign | r);
    }
}
