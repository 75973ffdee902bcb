package org.minitron4j.plot;

/**
 * A value that knows its own compact HTML summary: every result type of the library implements it (models, configs,
 * activation statistics, importance scores, prune reports, evaluation results, training logs, run checks), and
 * {@link Summaries#html(Object)}, which notebooks and reports use, renders it without knowing the type.
 */
@FunctionalInterface
public interface HtmlRenderable {
    /** A self-contained HTML fragment (no {@code <html>}/{@code <body>}); figures inside use {@link Html#figure}. */
    String toHtml();
}
