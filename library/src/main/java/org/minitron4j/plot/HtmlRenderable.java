package org.minitron4j.plot;

/**
 * A value that knows its own HTML summary. Results and reports implement it to render in notebooks and reports
 * ({@link Summaries#html(Object)} and the Kotlin-kernel integration use it before any other rule), without the
 * rendering code knowing their type.
 */
@FunctionalInterface
public interface HtmlRenderable {
    /** A self-contained HTML fragment (no {@code <html>}/{@code <body>}); figures inside use {@link Html#figure}. */
    String toHtml();
}
