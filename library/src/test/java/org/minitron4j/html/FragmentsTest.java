package org.minitron4j.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

class FragmentsTest {

    private static int count(String s, String part) {
        return s.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void tableShowsFirstRowsAndCountsTheRest() {
        int[] ids = new int[25];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Table t = Table.create("scores", IntColumn.create("index", ids));
        String html = Fragments.table(t, 10);
        assertEquals(10, count(html, "<tr><td"));
        assertTrue(html.contains("<b>scores</b> (25 rows, 1 column)"), html);
        assertTrue(html.contains("\u2026 15 more rows"), html);
        assertTrue(html.contains(">9</td>") && !html.contains(">10</td>"), html);
        assertFalse(Fragments.table(t, 25).contains("more row"));
        assertEquals(Fragments.DEFAULT_MAX_ROWS, count(Fragments.table(t), "<tr><td"));
    }

    @Test
    void tableEscapesTextAndShortensDoubles() {
        Table t = Table.create("x<y", StringColumn.create("text", "<b>&'\""), DoubleColumn.create("v", 1.0 / 3));
        String html = Fragments.table(t);
        assertTrue(html.contains("&lt;b&gt;&amp;&#39;&quot;"), html);
        assertTrue(html.contains("<b>x&lt;y</b>"), html);
        assertTrue(html.contains(">0.333333</td>"), html);
    }

    @Test
    void numbersKeepSixSignificantDigits() {
        assertEquals("2", Fragments.number(2.0));
        assertEquals("0.125", Fragments.number(0.125));
        assertEquals("3.14159", Fragments.number(Math.PI));
        assertEquals("1.00000e-07", Fragments.number(1e-7));
        assertEquals("NaN", Fragments.number(Double.NaN));
    }

    @Test
    void countsUseThreeSignificantDigits() {
        assertEquals("999", Fragments.count(999));
        assertEquals("1.23K", Fragments.count(1234));
        assertEquals("28.8K", Fragments.count(28832));
        assertEquals("2.43M", Fragments.count(2_425_536));
        assertEquals("8.03B", Fragments.count(8_030_000_000L));
    }
}
