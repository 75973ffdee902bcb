package org.minitron4j.notebook;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jetbrains.kotlinx.jupyter.api.MimeTypedResult;
import org.jspecify.annotations.Nullable;
import org.jetbrains.kotlinx.jupyter.api.ResultsKt;
import org.minitron4j.Progress;
import org.minitron4j.html.Fragments;
import org.minitron4j.plot.Html;
import tech.tablesaw.api.Table;

/**
 * What a notebook cell needs beside the library: a live progress line ({@link #progress()}), the run budget that
 * headless runs shrink ({@link #small()}, {@link #pick(int, int)}), the repository root ({@link #home()}), and a way to
 * resend plotly.js ({@link #plotly()}).
 */
public final class Notebooks {
    /** Environment variable read by {@link #budget()}: {@code small} for quick (CI) runs, anything else is full. */
    public static final String BUDGET_ENV = "MINITRON4J_NOTEBOOK_BUDGET";
    /** Environment variable read by {@link #home()}: the repository root. */
    public static final String HOME_ENV = "MINITRON4J_HOME";

    private Notebooks() {
    }

    /**
     * A {@link Progress} that shows one live line per task in the running cell ("lm-loss [#####···] 5/12  42%  1.2 s,
     * ~1.6 s left  loss 5.6"), rewritten in place at most 4 times a second; the saved notebook keeps the final line.
     * Loading the library into a notebook installs one as {@link Progress#current()}, so calls need no progress
     * argument.
     */
    public static Progress progress() {
        return new NotebookProgress(() -> System.out, 250);
    }

    /**
     * An HTML fragment (e.g. from {@link Fragments}, {@link Html} or {@link org.minitron4j.plot.Summaries}) as a cell
     * result.
     */
    public static MimeTypedResult html(String fragment) {
        return ResultsKt.HTML(fragment, false);
    }

    /** The first {@code maxRows} rows of {@code table} as a cell result (a table ending a cell shows 20). */
    public static MimeTypedResult table(Table table, int maxRows) {
        return html(Fragments.table(table, maxRows));
    }

    /** {@code "small"} or {@code "full"}, from {@value #BUDGET_ENV} (default full). */
    public static String budget() {
        return "small".equalsIgnoreCase(System.getenv(BUDGET_ENV)) ? "small" : "full";
    }

    /** Whether this run has the small budget ({@value #BUDGET_ENV}=small): shrink models, steps and data. */
    public static boolean small() {
        return budget().equals("small");
    }

    /** {@code full} normally, {@code small} under the small budget, e.g. {@code val steps = Notebooks.pick(2000, 20)}. */
    public static int pick(int full, int small) {
        return small() ? small : full;
    }

    /**
     * The repository root: {@value #HOME_ENV} when set, else the first directory upwards from the library's own jar
     * ({@code library/target/minitron4j.jar}, as {@code %use minitron4j} loads it) or from the working directory that
     * holds {@code library/pom.xml}, else the working directory.
     */
    public static Path home() {
        String env = System.getenv(HOME_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path cwd = Path.of("").toAbsolutePath();
        for (Path start : new Path[] {jarLocation(), cwd}) {
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve("library/pom.xml"))) {
                    return p;
                }
            }
        }
        return cwd;
    }

    /** Where this class was loaded from, or null when that is not a local path. */
    private static @Nullable Path jarLocation() {
        try {
            java.security.CodeSource src = Notebooks.class.getProtectionDomain().getCodeSource();
            return src == null ? null : Path.of(src.getLocation().toURI()).toAbsolutePath();
        } catch (java.net.URISyntaxException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }

    /** A path under {@link #home()}, e.g. {@code Notebooks.path("datasets/tinyworld")}. */
    public static Path path(String relative) {
        return home().resolve(relative);
    }

    /**
     * plotly.js as a cell result; figures in this cell and later ones draw with it. Needed only when the output that
     * carried it (the session's first figure) was cleared or re-run before saving.
     */
    public static MimeTypedResult plotly() {
        Minitron4jIntegration.resendPlotly();
        return ResultsKt.HTML(Html.plotlyScript(), false);
    }
}
