package org.minitron4j.plot;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.minitron4j.html.Fragments;
import tech.tablesaw.plotly.components.Figure;

/**
 * Turns figures into HTML fragments, and fragments (figures, and the tables and summaries of {@link Fragments}) into
 * one self-contained offline page. plotly.js comes from the {@code org.webjars.bower:plotly.js} jar on the classpath
 * and is embedded once per page (or once per notebook, see {@link #plotlyScript()}), never loaded from a CDN.
 *
 * <p>A figure fragment is a {@code <div class="m4j-figure">} plus a script that draws into it as soon as
 * {@code window.Plotly} exists (it waits up to 30 s, so the library may arrive later in the page or notebook); its
 * variables are local, so any number of figures can share a page. A {@code <img class="m4j-static">} inside the div
 * (a still picture added to saved notebooks for viewers that run no scripts) is removed when plotly draws.
 */
public final class Html {
    /** Version of the embedded plotly.js (the webjar's). */
    public static final String PLOTLY_VERSION = "1.54.1";

    private static final String PLOTLY_RESOURCE =
            "META-INF/resources/webjars/plotly.js/" + PLOTLY_VERSION + "/dist/plotly.min.js";
    private static final AtomicLong IDS = new AtomicLong();
    private static volatile String plotlyJs;

    private Html() {
    }

    /** An HTML fragment that draws {@code figure} once plotly.js is present (see {@link #plotlyScript()}). */
    public static String figure(Figure figure) {
        return figure(figure, newId());
    }

    /** As {@link #figure(Figure)} with a chosen div id (letters, digits and underscores only). */
    public static String figure(Figure figure, String divId) {
        if (!divId.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("div id must be a JavaScript identifier, got '" + divId + "'");
        }
        String js = figure.asJavascript(divId);
        // asJavascript gives "<script> var target_id = ...; var trace0 = ...; Plotly.newPlot(...); </script>":
        // keep the body and run it in a function, so that its `var`s stay local to this figure.
        int open = js.indexOf("<script>");
        int close = js.lastIndexOf("</script>");
        String body = open >= 0 && close > open ? js.substring(open + "<script>".length(), close) : js;
        return "<div class=\"m4j-figure\" id=\"" + divId + "\" style=\"width:100%\"></div>\n"
                + "<script>\n(function () {\n"
                // A saved notebook may carry a static picture of the figure (notebooks/static_figures.py) for viewers
                // that do not run scripts; where scripts run, plotly's figure replaces it.
                + "  var draw = function () {\n"
                + "    var still = document.querySelector('#" + divId + " > .m4j-static'); if (still) still.remove();\n"
                + scriptSafe(body) + "  };\n"
                + "  if (window.Plotly) { draw(); return; }\n"
                + "  var tries = 0, wait = setInterval(function () {\n"
                + "    if (window.Plotly) { clearInterval(wait); draw(); }\n"
                + "    else if (++tries > 300) { clearInterval(wait); document.getElementById('" + divId
                + "').textContent = 'plotly.js was not loaded: in a notebook run Notebooks.plotly(), in a page use Html.page'; }\n"
                + "  }, 100);\n"
                + "})();\n</script>\n";
    }

    /**
     * A complete HTML page that works offline: plotly.js embedded once in the head (only when a fragment contains a
     * figure), then the fragments in order.
     */
    public static String page(String title, String... fragments) {
        return page(title, List.of(fragments));
    }

    /** As {@link #page(String, String...)} for a list of fragments. */
    public static String page(String title, List<String> fragments) {
        boolean plots = fragments.stream().anyMatch(f -> f.contains("class=\"m4j-figure\""));
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n");
        sb.append("<title>").append(Fragments.escape(title)).append("</title>\n");
        sb.append("<style>body{font-family:sans-serif;margin:24px} .m4j-table td,.m4j-table th{border-bottom:1px solid #ddd}"
                + " .m4j-more{color:#666;font-style:italic}</style>\n");
        if (plots) {
            sb.append(plotlyScript());
        }
        sb.append("</head>\n<body>\n<h1>").append(Fragments.escape(title)).append("</h1>\n");
        for (String f : fragments) {
            sb.append(f).append('\n');
        }
        return sb.append("</body>\n</html>\n").toString();
    }

    /** Writes {@link #page(String, String...)} to {@code file} (UTF-8). */
    public static void writePage(Path file, String title, String... fragments) {
        try {
            Files.writeString(file, page(title, fragments), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * A script tag that defines {@code window.Plotly} unless it is already defined. Inside, {@code define},
     * {@code module}, {@code exports} and {@code require} are shadowed, so plotly's UMD header takes the browser-global
     * branch even in pages with RequireJS (classic Jupyter, nbconvert exports) instead of registering an anonymous
     * AMD module.
     */
    public static String plotlyScript() {
        return "<script type=\"text/javascript\">\n/* plotly.js " + PLOTLY_VERSION + " (minitron4j) */\n"
                + "if (typeof window.Plotly === 'undefined') {\n"
                + "(function (define, module, exports, require) {\n"
                + scriptSafe(plotlyJs())
                + "\n}).call(window);\n}\n</script>\n";
    }

    /** The minified plotly.js source from the webjar on the classpath (3.4 MB, read once). */
    public static String plotlyJs() {
        String js = plotlyJs;
        if (js == null) {
            try (InputStream in = Html.class.getClassLoader().getResourceAsStream(PLOTLY_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("plotly.js not on the classpath: add org.webjars.bower:plotly.js:"
                            + PLOTLY_VERSION + " (looked for " + PLOTLY_RESOURCE + ")");
                }
                js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + PLOTLY_RESOURCE, e);
            }
            plotlyJs = js;
        }
        return js;
    }

    /** A fresh div id, unique within this JVM and unlikely to repeat across kernel restarts. */
    public static String newId() {
        return "m4j_" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "_" + IDS.incrementAndGet();
    }

    // An inline script ends at the first "</script" whatever the JavaScript around it; "<\/" means the same in JS.
    private static String scriptSafe(String js) {
        return js.replace("</script", "<\\/script");
    }
}
