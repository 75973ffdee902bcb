package org.minitron4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.minitron4j.InvalidInputException;

class BatchesTest {
    private static int[] range(int n) {
        return IntStream.range(0, n).toArray();
    }

    @Test
    void evalWindowsExactRule() {
        List<int[]> w = Batches.evalWindows(range(10), 4);
        assertEquals(3, w.size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, w.get(0));
        assertArrayEquals(new int[] {4, 5, 6, 7, 8}, w.get(1));
        assertArrayEquals(new int[] {8, 9}, w.get(2)); // short last window
    }

    @Test
    void evalWindowsPredictEveryTokenButTheFirstOnce() {
        for (int n = 0; n <= 40; n++) {
            for (int len = 1; len <= 9; len++) {
                int[] count = new int[n];
                int predictions = 0;
                int[] prevLast = null;
                for (int[] win : Batches.evalWindows(range(n), len)) {
                    assertTrue(win.length >= 2 && win.length <= len + 1);
                    if (prevLast != null) {
                        assertEquals(prevLast[0], win[0]); // overlap of one token
                    }
                    for (int j = 1; j < win.length; j++) {
                        count[win[j]]++;
                        predictions++;
                    }
                    prevLast = new int[] {win[win.length - 1]};
                }
                assertEquals(Math.max(0, n - 1), predictions);
                for (int t = 1; t < n; t++) {
                    assertEquals(1, count[t], "n=" + n + " L=" + len + " t=" + t);
                }
            }
        }
    }

    @Test
    void rollingWindowsExtendTheShortLastWindowToTheLeftAsTheHarness() {
        List<Batches.Window> w = Batches.rollingWindows(range(10), 4);
        assertEquals(3, w.size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, w.get(0).tokens());
        assertEquals(4, w.get(0).predicted());
        assertArrayEquals(new int[] {4, 5, 6, 7, 8}, w.get(1).tokens());
        assertEquals(4, w.get(1).predicted());
        // harness: context token_list[window_end - L - 1 : window_end - 1] (5..8 here), continuation [9]
        assertArrayEquals(new int[] {5, 6, 7, 8, 9}, w.get(2).tokens());
        assertEquals(1, w.get(2).predicted());

        List<Batches.Window> one = Batches.rollingWindows(range(3), 4); // a short document: one window from its start
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {0, 1, 2}, one.get(0).tokens());
        assertEquals(2, one.get(0).predicted());
        assertEquals(0, Batches.rollingWindows(new int[] {7}, 4).size());
    }

    @Test
    void rollingWindowsPredictWhatEvalWindowsPredict() {
        for (int n = 0; n <= 40; n++) {
            for (int len = 1; len <= 9; len++) {
                List<int[]> tiles = Batches.evalWindows(range(n), len);
                List<Batches.Window> rolling = Batches.rollingWindows(range(n), len);
                assertEquals(tiles.size(), rolling.size());
                for (int k = 0; k < tiles.size(); k++) {
                    int[] tile = tiles.get(k), win = rolling.get(k).tokens();
                    int p = rolling.get(k).predicted();
                    assertEquals(tile.length - 1, p, "n=" + n + " L=" + len + " window " + k);
                    assertTrue(win.length <= len + 1 && win.length >= tile.length);
                    // same targets, and the window is contiguous and ends where the tile ends
                    assertArrayEquals(java.util.Arrays.copyOfRange(tile, 1, tile.length),
                            java.util.Arrays.copyOfRange(win, win.length - p, win.length));
                    for (int j = 1; j < win.length; j++) {
                        assertEquals(win[j - 1] + 1, win[j]);
                    }
                }
            }
        }
    }

    @Test
    void evalWindowsEdgeCases() {
        assertEquals(0, Batches.evalWindows(new int[0], 4).size());
        assertEquals(0, Batches.evalWindows(new int[] {7}, 4).size());
        List<int[]> two = Batches.evalWindows(new int[] {7, 8}, 4);
        assertEquals(1, two.size());
        assertArrayEquals(new int[] {7, 8}, two.get(0));
        List<int[]> exact = Batches.evalWindows(range(5), 4); // N-1 = L: one full window
        assertEquals(1, exact.size());
        assertThrows(InvalidInputException.class, () -> Batches.evalWindows(range(5), 0));
    }

    @Test
    void sampleIsSeededAndInRange() {
        int[] t = range(50);
        List<int[]> a = Batches.sample(t, 8, 100, 42);
        List<int[]> b = Batches.sample(t, 8, 100, 42);
        List<int[]> c = Batches.sample(t, 8, 100, 43);
        boolean differ = false;
        boolean sawLastStart = false;
        for (int i = 0; i < 100; i++) {
            assertArrayEquals(a.get(i), b.get(i));
            differ |= a.get(i)[0] != c.get(i)[0];
            assertEquals(9, a.get(i).length);
            int s = a.get(i)[0];
            assertArrayEquals(IntStream.range(s, s + 9).toArray(), a.get(i));
            sawLastStart |= s == 41;
        }
        assertTrue(differ);
        assertTrue(sawLastStart);
        assertArrayEquals(new int[] {0, 1, 2}, Batches.sample(range(3), 2, 1, 5).get(0));
        assertThrows(InvalidInputException.class, () -> Batches.sample(range(3), 3, 1, 5));
    }

    @Test
    void sequentialWrapsAround() {
        List<int[]> w = Batches.sequential(range(7), 2, 4, 1);
        assertArrayEquals(new int[] {1, 2, 3}, w.get(0));
        assertArrayEquals(new int[] {4, 5, 6}, w.get(1));
        assertArrayEquals(new int[] {0, 1, 2}, w.get(2));
        assertArrayEquals(new int[] {3, 4, 5}, w.get(3));
        assertArrayEquals(new int[] {5, 6, 0}, Batches.sequential(range(7), 2, 1, 12).get(0));
        assertNotEquals(0, Batches.sequential(range(7), 2, 1, -1).get(0)[0]);
        assertThrows(InvalidInputException.class, () -> Batches.sequential(range(2), 2, 1, 0));
    }

    @Test
    void padRightPadsAndKeepsLengths() {
        Batches.Packed p = Batches.pad(List.of(new int[] {1, 2, 3}, new int[] {4}, new int[0]), -1);
        assertArrayEquals(new int[] {1, 2, 3}, p.ids()[0]);
        assertArrayEquals(new int[] {4, -1, -1}, p.ids()[1]);
        assertArrayEquals(new int[] {-1, -1, -1}, p.ids()[2]);
        assertArrayEquals(new int[] {3, 1, 0}, p.lengths());
        assertEquals(0, Batches.pad(List.of(), 0).ids().length);
    }
}
