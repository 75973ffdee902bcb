package org.minitron4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import tech.tablesaw.api.BooleanColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * What a replay of a {@link RunRecord} found: for every recorded result number, input and output fingerprint, the
 * recorded and the replayed value and whether they are identical (numbers compare by their exact JSON text, i.e. bit
 * for bit), and how the environment differed.
 *
 * @param run          the run folder
 * @param checks       one row per compared value
 * @param environment  "field: recorded → now" for each environment difference (threads, versions, …)
 * @param replayOut    where the replay wrote its outputs
 */
public record ReplayReport(Path run, List<Check> checks, List<String> environment, Path replayOut)
        implements HtmlRenderable {
    /** Relative tolerance of a numeric result check; 0 asks for identical bits. */

    /**
     * One compared value.
     *
     * @param kind      "result", "input" or "output"
     * @param name      the result path ("scores.acc"), the option ("--data") or the output file
     * @param recorded  the recorded value (digest for files), empty when absent
     * @param replayed  the replayed value, empty when absent
     * @param tolerance relative tolerance for numbers (0: the exact text, i.e. the same bits)
     */
    public record Check(String kind, String name, String recorded, String replayed, double tolerance) {
        public Check(String kind, String name, String recorded, String replayed) {
            this(kind, name, recorded, replayed, 0);
        }

        /**
         * Identical, or numbers within the relative tolerance. With a tolerance, output files (whose bytes cannot be
         * close, only equal) are listed but do not decide the match: the results carry the comparison.
         */
        public boolean match() {
            return recorded.equals(replayed) || relativeDifference() <= tolerance
                    || (tolerance > 0 && kind.equals("output") && !recorded.isEmpty() && !replayed.isEmpty());
        }

        /** Whether both sides are the same bits (the same text). */
        public boolean identical() {
            return recorded.equals(replayed);
        }

        /** |a − b| / max(|a|, |b|) for two numbers; 0 when identical; infinite when either is not a number. */
        public double relativeDifference() {
            if (recorded.equals(replayed)) {
                return 0;
            }
            try {
                double a = Double.parseDouble(recorded), b = Double.parseDouble(replayed);
                double d = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
                return Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            } catch (NumberFormatException e) {
                return Double.POSITIVE_INFINITY;
            }
        }
    }

    public ReplayReport {
        Objects.requireNonNull(run, "run");
        checks = List.copyOf(checks);
        environment = List.copyOf(environment);
    }

    /** Compares recorded and replayed results and output fingerprints, with the inputs checked before the replay. */
    public static ReplayReport compare(Path run, RunRecord recorded, List<Check> inputChecks,
                                       Map<String, String> replayedResults, List<Fingerprint> replayedOutputs,
                                       List<String> environment, Path replayOut, double tolerance) {
        List<Check> checks = new ArrayList<>(inputChecks);
        Map<String, String> was = recorded.comparableResults();
        Set<String> names = new LinkedHashSet<>(was.keySet());
        names.addAll(replayedResults.keySet());
        for (String n : names) {
            checks.add(new Check("result", n, was.getOrDefault(n, ""), replayedResults.getOrDefault(n, ""), tolerance));
        }
        Map<String, String> wrote = digests(recorded.outputs()), now = digests(replayedOutputs);
        Set<String> files = new LinkedHashSet<>(wrote.keySet());
        files.addAll(now.keySet());
        for (String f : files) {
            checks.add(new Check("output", f, wrote.getOrDefault(f, ""), now.getOrDefault(f, ""), tolerance));
        }
        return new ReplayReport(run, checks, environment, replayOut);
    }

    /** Output digests by role ("--out:model.safetensors"), in order. */
    private static Map<String, String> digests(List<Fingerprint> outputs) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        outputs.forEach(f -> m.put(f.role(), f.sha256()));
        return m;
    }

    /** The report that {@code replay --json} printed. */
    public static ReplayReport fromJson(Path run, JsonNode json, Path replayOut) {
        List<Check> checks = new ArrayList<>();
        json.path("checks").forEach(c -> checks.add(new Check(c.path("kind").asText(), c.path("name").asText(),
                c.path("recorded").asText(), c.path("replayed").asText(), c.path("tolerance").asDouble(0))));
        List<String> env = new ArrayList<>();
        json.path("environment_differences").forEach(e -> env.add(e.asText()));
        return new ReplayReport(run, checks, env, replayOut);
    }

    /** Whether every result, input and output is identical. */
    public boolean matches() {
        return checks.stream().allMatch(Check::match);
    }

    /** The checks that differ. */
    public List<Check> mismatches() {
        return checks.stream().filter(c -> !c.match()).toList();
    }

    /** Whether every value is bit-identical (no tolerance used). */
    public boolean identical() {
        return checks.stream().allMatch(Check::identical);
    }

    /** The largest relative difference of a numeric result (0 when all are identical). */
    public double maxRelativeDifference() {
        return checks.stream().filter(c -> c.kind().equals("result") && !c.identical())
                .mapToDouble(Check::relativeDifference).max().orElse(0);
    }

    /**
     * "identical: 12 results, 3 inputs, 2 outputs", "within tolerance: … (largest relative difference 3e-05)" or
     * "DIFFERS: 2 of 17 values (…)".
     */
    public String summary() {
        long results = count("result"), inputs = count("input"), outputs = count("output");
        String env = environment.isEmpty() ? "" : " (environment differed: " + String.join("; ", environment) + ")";
        if (identical()) {
            return "identical: " + results + " results, " + inputs + " inputs, " + outputs + " outputs" + env;
        }
        if (matches()) {
            return String.format(java.util.Locale.ROOT, "within tolerance: %d results, %d inputs, %d outputs, "
                    + "largest relative difference %.3g%s", results, inputs, outputs, maxRelativeDifference(), env);
        }
        List<Check> bad = mismatches();
        StringBuilder sb = new StringBuilder("DIFFERS: " + bad.size() + " of " + checks.size() + " values");
        if (maxRelativeDifference() > 0 && Double.isFinite(maxRelativeDifference())) {
            sb.append(String.format(java.util.Locale.ROOT, ", largest relative difference of a result %.3g", maxRelativeDifference()));
        }
        sb.append(" (");
        for (int i = 0; i < Math.min(5, bad.size()); i++) {
            Check c = bad.get(i);
            sb.append(i > 0 ? "; " : "").append(c.kind()).append(' ').append(c.name()).append(": ")
                    .append(shorten(c.recorded())).append(" → ").append(shorten(c.replayed()));
        }
        sb.append(bad.size() > 5 ? "; …)" : ")");
        if (!environment.isEmpty()) {
            sb.append("; environment differed: ").append(String.join("; ", environment));
        }
        return sb.toString();
    }

    /** One row per check: kind, name, recorded, replayed, match. */
    public Table table() {
        Table t = Table.create("replay of " + run.getFileName());
        t.addColumns(StringColumn.create("kind", checks.stream().map(Check::kind).toList()),
                StringColumn.create("name", checks.stream().map(Check::name).toList()),
                StringColumn.create("recorded", checks.stream().map(c -> shorten(c.recorded())).toList()),
                StringColumn.create("replayed", checks.stream().map(c -> shorten(c.replayed())).toList()),
                BooleanColumn.create("identical", checks.stream().map(Check::identical).toList()),
                BooleanColumn.create("match", checks.stream().map(Check::match).toList()));
        return t;
    }

    @Override
    public String toHtml() {
        String colour = matches() ? "#1a7f37" : "#cf222e";
        return "<div style=\"font-weight:bold;color:" + colour + "\">" + Fragments.escape(summary()) + "</div>\n"
                + Fragments.table(table(), checks.size());
    }

    @Override
    public String toString() {
        return summary();
    }

    private long count(String kind) {
        return checks.stream().filter(c -> c.kind().equals(kind)).count();
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "…" : s;
    }
}
