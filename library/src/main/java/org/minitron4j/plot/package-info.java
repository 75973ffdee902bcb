/**
 * Figures and HTML as values. {@link org.minitron4j.plot.Figures} builds tablesaw-jsplot figures from the library's
 * tables (importance heatmaps and histograms, depth curves, block grids, training curves, size/quality scatter,
 * leaderboards); {@link org.minitron4j.plot.Html} renders figures to HTML fragments and fragments to offline pages with
 * plotly.js embedded once. Rendering has one mechanism: results implement {@link org.minitron4j.html.HtmlRenderable}
 * (package {@code html}, which the core packages depend on instead of this one), and
 * {@link org.minitron4j.plot.Summaries#html(Object)} renders those, tables, figures and any other value of the library,
 * for notebooks and reports alike.
 */
@NullMarked
package org.minitron4j.plot;

import org.jspecify.annotations.NullMarked;
