package org.minitron4j.search;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.minitron4j.JsonMappers;
import org.minitron4j.importance.RankStability;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * What {@link ArchitectureSearch#run} measured: for every candidate tried, its validation LM loss at each checkpoint
 * step of the light retraining (step 0 = just pruned), the leaderboard by the final loss, and how the ranking
 * stabilised along the retraining (Kendall τ between the rankings of successive checkpoints, and against the final one).
 *
 * @param budget      the parameter budget searched around
 * @param tolerance   the relative distance to the budget that candidates were allowed
 * @param steps       the checkpoint steps, ascending, starting at 0 ({@link SearchOptions#checkpointSteps()})
 * @param teacherLoss the teacher's validation loss on the same tokens, for reference
 * @param entries     the candidates in the order they were tried, each with one loss per checkpoint step
 */
public record SearchResult(long budget, double tolerance, int[] steps, double teacherLoss, List<Entry> entries) {
    /**
     * One candidate and its measured losses.
     *
     * @param candidate the shape
     * @param losses    validation LM loss (nats per token) at each of {@link SearchResult#steps()}
     */
    public record Entry(ArchitectureSearch.Candidate candidate, double[] losses) {
        /** {@link ArchitectureSearch.Candidate#label()}. */
        public String label() {
            return candidate.label();
        }

        /** The loss of the pruned model before any retraining. */
        public double lossStep0() {
            return losses[0];
        }

        /** The loss after the last retraining step (= {@link #lossStep0()} without retraining). */
        public double lossFinal() {
            return losses[losses.length - 1];
        }
    }

    public SearchResult {
        steps = steps.clone();
        entries = List.copyOf(entries);
        if (steps.length == 0 || steps[0] != 0) {
            throw new IllegalArgumentException("checkpoint steps must start at 0, got " + Arrays.toString(steps));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a search result needs at least one candidate");
        }
        for (Entry e : entries) {
            if (e.losses().length != steps.length) {
                throw new IllegalArgumentException(e.label() + " has " + e.losses().length + " losses for " + steps.length
                        + " checkpoint steps");
            }
        }
    }

    @Override
    public int[] steps() {
        return steps.clone();
    }

    /** The losses of every entry at checkpoint {@code index} (of {@link #steps()}), in entry order. */
    public double[] lossesAt(int index) {
        return entries.stream().mapToDouble(e -> e.losses()[index]).toArray();
    }

    /** Ranks (1 = lowest loss) of the entries at checkpoint {@code index}; ties keep the order the entries were tried in. */
    public int[] ranksAt(int index) {
        double[] l = lossesAt(index);
        Integer[] order = new Integer[l.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> l[i]));
        int[] rank = new int[l.length];
        for (int r = 0; r < order.length; r++) {
            rank[order[r]] = r + 1;
        }
        return rank;
    }

    /** The entry with the lowest final loss. */
    public Entry best() {
        int[] ranks = ranksAt(steps.length - 1);
        for (int i = 0; i < ranks.length; i++) {
            if (ranks[i] == 1) {
                return entries.get(i);
            }
        }
        throw new IllegalStateException("no rank 1");
    }

    /**
     * One row per candidate, best first: candidate, layers, hidden, heads, kv_heads, ffn, parameters, budget_ratio,
     * loss_step0, loss_final, rank_step0, rank (by the final loss).
     */
    public Table leaderboard() {
        int[] rank = ranksAt(steps.length - 1), rank0 = ranksAt(0);
        Integer[] order = new Integer[entries.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> rank[i]));
        StringColumn label = StringColumn.create("candidate");
        IntColumn layers = IntColumn.create("layers"), hidden = IntColumn.create("hidden"), heads = IntColumn.create("heads"),
                kv = IntColumn.create("kv_heads"), ffn = IntColumn.create("ffn"), r0 = IntColumn.create("rank_step0"),
                r = IntColumn.create("rank");
        LongColumn params = LongColumn.create("parameters");
        DoubleColumn ratio = DoubleColumn.create("budget_ratio"), l0 = DoubleColumn.create("loss_step0"),
                lf = DoubleColumn.create("loss_final");
        for (int i : order) {
            Entry e = entries.get(i);
            ArchitectureSearch.Candidate c = e.candidate();
            label.append(e.label());
            layers.append(c.numLayers());
            hidden.append(c.hiddenSize());
            heads.append(c.numAttentionHeads());
            kv.append(c.numKeyValueHeads());
            ffn.append(c.intermediateSize());
            params.append(c.parameters());
            ratio.append((double) c.parameters() / budget);
            l0.append(e.lossStep0());
            lf.append(e.lossFinal());
            r0.append(rank0[i]);
            r.append(rank[i]);
        }
        return Table.create("architecture search leaderboard").addColumns(label, layers, hidden, heads, kv, ffn, params,
                ratio, l0, lf, r0, r);
    }

    /**
     * How the ranking settles along the retraining, one row per checkpoint step: step, kendall_tau_vs_previous (NaN at
     * step 0), kendall_tau_vs_final, best_candidate. τ is Kendall's tau-b of the candidates' losses at the two steps,
     * i.e. of their rankings (ties count as ties); NaN with fewer than two candidates or when all losses are equal.
     */
    public Table stability() {
        IntColumn step = IntColumn.create("step");
        DoubleColumn prev = DoubleColumn.create("kendall_tau_vs_previous"), fin = DoubleColumn.create("kendall_tau_vs_final");
        StringColumn best = StringColumn.create("best_candidate");
        int last = steps.length - 1;
        for (int i = 0; i < steps.length; i++) {
            step.append(steps[i]);
            prev.append(i == 0 ? Double.NaN : tau(lossesAt(i), lossesAt(i - 1)));
            fin.append(tau(lossesAt(i), lossesAt(last)));
            int[] ranks = ranksAt(i);
            for (int k = 0; k < ranks.length; k++) {
                if (ranks[k] == 1) {
                    best.append(entries.get(k).label());
                }
            }
        }
        return Table.create("ranking stability").addColumns(step, prev, fin, best);
    }

    /** The loss curves in long form: candidate, step, val_loss (one row per candidate and checkpoint). */
    public Table curves() {
        StringColumn label = StringColumn.create("candidate");
        IntColumn step = IntColumn.create("step");
        DoubleColumn loss = DoubleColumn.create("val_loss");
        for (Entry e : entries) {
            for (int i = 0; i < steps.length; i++) {
                label.append(e.label());
                step.append(steps[i]);
                loss.append(e.losses()[i]);
            }
        }
        return Table.create("candidate loss curves").addColumns(label, step, loss);
    }

    /** The loss curves in wide form: step, then one column per candidate (named by its label), for line plots. */
    public Table curvesWide() {
        Table t = Table.create("candidate loss curves").addColumns(IntColumn.create("step", steps));
        List<String> seen = new ArrayList<>();
        for (Entry e : entries) {
            String name = e.label();
            for (int k = 2; seen.contains(name); k++) {
                name = e.label() + "#" + k;
            }
            seen.add(name);
            t.addColumns(DoubleColumn.create(name, e.losses()));
        }
        return t;
    }

    /**
     * Everything as JSON: budget, tolerance, checkpoint_steps, teacher_loss, best (label), candidates (label, plan,
     * shape, parameters, losses, loss_step0, loss_final, rank) in leaderboard order, stability rows. NaN becomes null.
     */
    public ObjectNode toJsonNode() {
        ObjectNode o = JsonMappers.shared().createObjectNode();
        o.put("budget", budget);
        o.put("tolerance", tolerance);
        ArrayNode st = o.putArray("checkpoint_steps");
        Arrays.stream(steps).forEach(st::add);
        number(o, "teacher_loss", teacherLoss);
        o.put("best", best().label());
        ArrayNode cs = o.putArray("candidates");
        int[] rank = ranksAt(steps.length - 1);
        Integer[] order = new Integer[entries.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> rank[i]));
        for (int i : order) {
            cs.add(entryJson(entries.get(i), rank[i]));
        }
        ArrayNode stab = o.putArray("stability");
        Table s = stability();
        for (int r = 0; r < s.rowCount(); r++) {
            ObjectNode row = stab.addObject();
            row.put("step", s.intColumn("step").getInt(r));
            number(row, "kendall_tau_vs_previous", s.doubleColumn("kendall_tau_vs_previous").getDouble(r));
            number(row, "kendall_tau_vs_final", s.doubleColumn("kendall_tau_vs_final").getDouble(r));
            row.put("best_candidate", s.stringColumn("best_candidate").get(r));
        }
        return o;
    }

    /** One entry as JSON: label, plan, layers, hidden, heads, kv_heads, ffn, parameters, losses, loss_step0, loss_final, rank. */
    public ObjectNode entryJson(Entry e, int rank) {
        ObjectNode c = JsonMappers.shared().createObjectNode();
        ArchitectureSearch.Candidate k = e.candidate();
        c.put("candidate", e.label());
        c.set("plan", k.plan().toJsonNode());
        c.put("layers", k.numLayers());
        c.put("hidden", k.hiddenSize());
        c.put("heads", k.numAttentionHeads());
        c.put("kv_heads", k.numKeyValueHeads());
        c.put("ffn", k.intermediateSize());
        c.put("parameters", k.parameters());
        ArrayNode l = c.putArray("losses");
        for (double v : e.losses()) {
            if (Double.isFinite(v)) {
                l.add(v);
            } else {
                l.addNull();
            }
        }
        number(c, "loss_step0", e.lossStep0());
        number(c, "loss_final", e.lossFinal());
        c.put("rank", rank);
        return c;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    private static double tau(double[] a, double[] b) {
        return a.length < 2 ? Double.NaN : RankStability.kendallTau(a, b);
    }
}
