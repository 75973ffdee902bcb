package org.minitron4j.plot;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/**
 * Tablesaw tables from plain lists, so a notebook builds a table in one expression without column helpers:
 * {@code Tables.of("bi", mapOf("layer" to layers, "bi" to scores))}. Each column's type follows its values: Integer →
 * int, Long → long, Float or Double → double, Boolean → boolean, anything else → its {@code toString()}. A null is a
 * missing value.
 */
public final class Tables {
    private Tables() {
    }

    /**
     * A table named {@code name} with one column per entry, in the map's order (Kotlin's {@code mapOf} keeps it).
     *
     * @throws InvalidInputException when the columns differ in length
     */
    public static Table of(String name, Map<String, ? extends List<?>> columns) {
        Table t = Table.create(name);
        int rows = -1;
        for (Map.Entry<String, ? extends List<?>> e : columns.entrySet()) {
            List<?> values = e.getValue();
            if (rows >= 0 && values.size() != rows) {
                throw new InvalidInputException("table '" + name + "': column '" + e.getKey() + "' has " + values.size()
                        + " values, the columns before it " + rows);
            }
            rows = values.size();
            t.addColumns(column(e.getKey(), values));
        }
        return t;
    }

    private static Column<?> column(String name, List<?> values) {
        Object first = values.stream().filter(v -> v != null).findFirst().orElse(null);
        if (first instanceof Integer) {
            IntColumn c = IntColumn.create(name);
            values.forEach(v -> append(c, v, () -> c.append(((Number) v).intValue())));
            return c;
        }
        if (first instanceof Long) {
            LongColumn c = LongColumn.create(name);
            values.forEach(v -> append(c, v, () -> c.append(((Number) v).longValue())));
            return c;
        }
        if (first instanceof Double || first instanceof Float) {
            DoubleColumn c = DoubleColumn.create(name);
            values.forEach(v -> append(c, v, () -> c.append(((Number) v).doubleValue())));
            return c;
        }
        if (first instanceof Boolean) {
            BooleanColumn c = BooleanColumn.create(name);
            values.forEach(v -> append(c, v, () -> c.append((Boolean) v)));
            return c;
        }
        StringColumn c = StringColumn.create(name);
        values.forEach(v -> append(c, v, () -> c.append(String.valueOf(v))));
        return c;
    }

    private static void append(Column<?> c, @Nullable Object v, Runnable add) {
        if (v == null) {
            c.appendMissing();
        } else {
            add.run();
        }
    }
}
