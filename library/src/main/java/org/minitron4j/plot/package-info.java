/**
 * Figures and HTML as values. {@link org.minitron4j.plot.Figures} builds tablesaw-jsplot figures from the library's
 * tables (importance heatmaps and histograms, depth curves, block grids, training curves, size/quality scatter,
 * leaderboards); {@link org.minitron4j.plot.Html} renders figures and tables to HTML fragments and offline pages with
 * plotly.js embedded once; {@link org.minitron4j.plot.Summaries} gives the HTML summary of a model or result, which
 * notebooks show and reports reuse.
 */
@NullMarked
package org.minitron4j.plot;

import org.jspecify.annotations.NullMarked;
