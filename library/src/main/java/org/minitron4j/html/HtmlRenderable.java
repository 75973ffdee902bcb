package org.minitron4j.html;

/**
 * A value that knows its own compact HTML summary: every result type of the library implements it (models, configs,
 * activation statistics, importance scores, prune reports, evaluation results, training logs, run checks), and
 * {@code org.minitron4j.plot.Summaries.html(Object)}, which notebooks and reports use, renders it without knowing the
 * type. Summaries are built from {@link Fragments}.
 */
@FunctionalInterface
public interface HtmlRenderable {
    /** A self-contained HTML fragment (no {@code <html>}/{@code <body>}). */
    String toHtml();
}
