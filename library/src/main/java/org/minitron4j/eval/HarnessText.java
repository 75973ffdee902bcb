package org.minitron4j.eval;

import java.util.Arrays;
import org.minitron4j.InvalidInputException;

/** String and tokenization rules of lm-evaluation-harness: Python's whitespace stripping and {@code _encode_pair}. */
public final class HarnessText {
    private HarnessText() {}

    /** Python's {@code str.isspace} for one char (Unicode whitespace, including NBSP and U+0085). */
    public static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Python's {@code str.strip()}: whitespace removed from both ends. */
    public static String strip(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && isPythonSpace(s.charAt(b))) {
            b++;
        }
        while (e > b && isPythonSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(b, e);
    }

    /** Number of trailing whitespace chars, i.e. {@code len(s) - len(s.rstrip())}. */
    public static int trailingSpaces(String s) {
        int e = s.length();
        while (e > 0 && isPythonSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.length() - e;
    }

    /**
     * The harness's {@code _encode_pair}: trailing whitespace of the context moves to the start of the continuation;
     * the continuation's tokens are those of encode(context + continuation) after the first len(encode(context)).
     * An empty context (or one encoding to no tokens) becomes the encoder's prefix id, as the harness does with an
     * empty context string.
     *
     * @throws InvalidInputException if the context encodes to nothing and the encoder has no prefix id
     */
    public static LoglikelihoodRequest encodePair(TextEncoder enc, String context, String continuation) {
        if (context.isEmpty()) {
            return new LoglikelihoodRequest(prefix(enc, continuation), enc.encode(continuation));
        }
        int n = trailingSpaces(context);
        if (n > 0) {
            continuation = context.substring(context.length() - n) + continuation;
            context = context.substring(0, context.length() - n);
        }
        int[] whole = enc.encode(context + continuation);
        int[] ctx = enc.encode(context);
        int[] cont = Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length);
        if (ctx.length == 0) {
            ctx = prefix(enc, continuation);
        }
        return new LoglikelihoodRequest(ctx, cont);
    }

    private static int[] prefix(TextEncoder enc, String continuation) {
        if (enc.prefixTokenId().isEmpty()) {
            throw new InvalidInputException("the context of continuation \"" + continuation
                    + "\" encodes to no tokens and the tokenizer has no BOS/EOS id to put in front");
        }
        return new int[] {enc.prefixTokenId().getAsInt()};
    }

    /** Index of the largest value; ties go to the first, as numpy's argmax. */
    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Standard error of the mean as the harness computes it: stdev with ddof=1 over sqrt(n); NaN for n &lt; 2. */
    public static double stderrOfMean(double[] x) {
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        return Math.sqrt(ss / (n - 1) / n);
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? Double.NaN : s / x.length;
    }
}
