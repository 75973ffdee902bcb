package org.minitron4j.notebook;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import kotlin.reflect.KClass;
import org.jetbrains.kotlinx.jupyter.api.FieldValue;
import org.jetbrains.kotlinx.jupyter.api.RendererHandler;
import org.jetbrains.kotlinx.jupyter.api.RendererTypeHandler;
import org.jetbrains.kotlinx.jupyter.api.ResultHandlerExecution;
import org.jetbrains.kotlinx.jupyter.api.ResultsKt;
import org.jetbrains.kotlinx.jupyter.api.libraries.ExecutionHost;
import org.jetbrains.kotlinx.jupyter.api.libraries.JupyterIntegration;
import org.minitron4j.EngineThreads;
import org.minitron4j.Progress;
import org.minitron4j.plot.Html;
import org.minitron4j.plot.Summaries;

/**
 * Loaded by the Kotlin kernel when minitron4j's jar is added to a notebook (through the jar resource
 * {@code META-INF/kotlin-jupyter-libraries/libraries.json}): every value {@link Summaries#html(Object)} renders
 * (the library's results, which implement {@link org.minitron4j.html.HtmlRenderable}, any other value of the library,
 * tables and figures) shows as HTML when it ends a cell, the common packages are imported, PyTorch's threads are set
 * before the engine starts ({@link EngineThreads}), and a live progress line becomes the default
 * {@link Progress#current()}.
 */
public final class Minitron4jIntegration extends JupyterIntegration {
    // plotly.js goes out with the first figure of a kernel session; later figures wait for window.Plotly.
    private static final AtomicBoolean PLOTLY_SENT = new AtomicBoolean();

    private static final String[] IMPORTS = {
        "org.minitron4j.*", "org.minitron4j.model.*", "org.minitron4j.checkpoint.*", "org.minitron4j.data.*",
        "org.minitron4j.eval.*", "org.minitron4j.importance.*", "org.minitron4j.prune.*",
        "org.minitron4j.distill.*", "org.minitron4j.train.*", "org.minitron4j.search.*", "org.minitron4j.plot.*",
        "org.minitron4j.html.*", "org.minitron4j.notebook.*", "org.minitron4j.experiment.*", "org.minitron4j.sweep.*",
        "tech.tablesaw.api.*",
        "ai.djl.Device",
    };

    @Override
    public void onLoaded(Builder b) {
        EngineThreads.configure(); // before the first tensor operation of the kernel
        EngineThreads.sharingWarning().ifPresent(System.err::println);
        Progress.setDefault(Notebooks.progress());
        PLOTLY_SENT.set(false);
        b.addRenderer(new SummaryRenderer());
        addImports(b);
    }

    // Builder.import(vararg String) is named with a Java keyword: call it reflectively.
    private static void addImports(Builder b) {
        try {
            Builder.class.getMethod("import", String[].class).invoke(b, (Object) IMPORTS);
        } catch (ReflectiveOperationException e) {
            System.err.println("minitron4j: default imports not added (" + e + "); import org.minitron4j.* yourself");
        }
    }

    /**
     * {@link Summaries#html(Object)} as an HTML cell result; prefixed with plotly.js when it holds the session's first
     * figure.
     */
    static String render(Object value) {
        String html = Summaries.html(value);
        if (html.contains("class=\"m4j-figure\"") && PLOTLY_SENT.compareAndSet(false, true)) {
            html = Html.plotlyScript() + html;
        }
        return html;
    }

    /** Sends plotly.js with the next figure again (e.g. after the cell that carried it was re-run or cleared). */
    static void resendPlotly() {
        PLOTLY_SENT.set(false);
    }

    private static final class SummaryRenderer implements RendererTypeHandler {
        private final ResultHandlerExecution execution = new ResultHandlerExecution() {
            @Override
            public FieldValue execute(ExecutionHost host, FieldValue result) {
                return new FieldValue(ResultsKt.HTML(render(result.getValue()), false), null);
            }

            @Override
            public ResultHandlerExecution replaceVariables(Map<String, String> mapping) {
                return this;
            }
        };

        @Override
        public boolean acceptsType(KClass<?> type) {
            return false; // decided per value in accepts(Object): values of the library qualify by package, not by type
        }

        @Override
        public boolean accepts(Object value) {
            return value != null && Summaries.supports(value);
        }

        @Override
        public ResultHandlerExecution getExecution() {
            return execution;
        }

        @Override
        public RendererHandler replaceVariables(Map<String, String> mapping) {
            return this;
        }

        @Override
        public String toString() {
            return "minitron4j summaries";
        }
    }
}
