package org.minitron4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;

class HarnessTextTest {
    @Test
    void stripIsPythonStrip() {
        assertEquals("a b", HarnessText.strip(" \t\n a b \u00a0\r\n"));
        assertEquals("", HarnessText.strip("   "));
        assertEquals(3, HarnessText.trailingSpaces("x \n\t"));
        assertEquals(0, HarnessText.trailingSpaces("x"));
    }

    @Test
    void encodePairMovesTrailingWhitespaceToContinuation() {
        Fakes.SpaceBeforeEncoder enc = new Fakes.SpaceBeforeEncoder();
        LoglikelihoodRequest r = HarnessText.encodePair(enc, "Hello big ", "world");
        // context "Hello big" -> ["Hello", " big"]; whole "Hello big world" -> [..., " world"]
        assertArrayEquals(enc.encode("Hello big"), r.context());
        assertArrayEquals(new int[] {enc.vocab.id(" world")}, r.continuation());
        // Without trailing space the continuation is taken as is.
        LoglikelihoodRequest s = HarnessText.encodePair(enc, "Hello", " world there");
        assertArrayEquals(new int[] {enc.vocab.id(" world"), enc.vocab.id(" there")}, s.continuation());
        // Char level: the moved whitespace is part of the continuation tokens.
        LoglikelihoodRequest c = HarnessText.encodePair(Fakes.CHARS, "ab \n", "c");
        assertEquals("ab", Fakes.chars(c.context()));
        assertEquals(" \nc", Fakes.chars(c.continuation()));
    }

    @Test
    void continuationIsWholeMinusContextPrefix() {
        // A merging encoder: "ab" is one token when whole; continuation = whole[len(ctx):], not encode(cont).
        TextEncoder merging = text -> text.equals("ab") ? new int[] {9} : text.chars().toArray();
        LoglikelihoodRequest r = HarnessText.encodePair(merging, "a", "b");
        assertArrayEquals(new int[] {'a'}, r.context());
        assertArrayEquals(new int[0], r.continuation());
    }

    @Test
    void emptyContextGetsPrefixToken() {
        Fakes.WordEncoder enc = new Fakes.WordEncoder(7);
        LoglikelihoodRequest r = HarnessText.encodePair(enc, "", " hi there");
        assertArrayEquals(new int[] {7}, r.context());
        assertArrayEquals(enc.encode("hi there"), r.continuation());
        LoglikelihoodRequest w = HarnessText.encodePair(enc, "  ", "hi");
        assertArrayEquals(new int[] {7}, w.context());
        assertArrayEquals(enc.encode("hi"), w.continuation());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> HarnessText.encodePair(new Fakes.WordEncoder(null), "", "x"));
        assertTrue(e.getMessage().contains("BOS/EOS"), e.getMessage());
    }

    @Test
    void stderrMatchesCommonsMath() {
        for (double[] x : List.of(new double[] {1, 0, 1}, new double[] {1, 1, 1, 0, 0, 1, 0, 1, 1, 1},
                new double[] {0, 0, 0, 0})) {
            double expected = new StandardDeviation(true).evaluate(x) / Math.sqrt(x.length);
            assertEquals(expected, HarnessText.stderrOfMean(x), 1e-12);
            double acc = HarnessText.mean(x);
            assertEquals(Math.sqrt(acc * (1 - acc) / (x.length - 1)), HarnessText.stderrOfMean(x), 1e-12);
        }
        assertTrue(Double.isNaN(HarnessText.stderrOfMean(new double[] {1})));
    }

    @Test
    void argmaxTakesFirstOnTies() {
        assertEquals(0, HarnessText.argmax(new double[] {-1, -1}));
        assertEquals(1, HarnessText.argmax(new double[] {-3, -1, -2}));
    }
}
