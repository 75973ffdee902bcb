/**
 * The one rendering contract every result of the library implements: {@link org.minitron4j.html.HtmlRenderable}
 * (a compact HTML summary of itself), and the {@link org.minitron4j.html.Fragments} those summaries are built from
 * (escaping, titled key/value tables, counts, fixed decimals, collapsed index lists, Tablesaw tables as HTML). It
 * depends on no other package of the library, so the core packages render themselves without importing {@code plot};
 * {@code plot} renders them, with tables and figures, for notebooks and reports.
 */
@NullMarked
package org.minitron4j.html;

import org.jspecify.annotations.NullMarked;
