package org.minitron4j.importance;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.math3.stat.correlation.KendallsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.minitron4j.InvalidInputException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * How stable a ranking is: Kendall τ (tau-b) and Spearman ρ between rankings from different calibration subsets, sizes
 * or aggregations, and seeded bootstrap confidence bands on scores. The bootstrap resamples the blocks of {@link
 * ActivationStats} with replacement (exact per-sample bootstrap when blocks = samples, block bootstrap otherwise).
 */
public final class RankStability {
    private RankStability() {
    }

    /** Kendall's tau-b between two score vectors of equal length (NaN if one is constant). */
    public static double kendallTau(double[] a, double[] b) {
        checkPair(a, b);
        return new KendallsCorrelation().correlation(a, b);
    }

    /** Spearman's rank correlation (average ranks for ties). */
    public static double spearmanRho(double[] a, double[] b) {
        checkPair(a, b);
        return new SpearmansCorrelation().correlation(a, b);
    }

    private static void checkPair(double[] a, double[] b) {
        if (a.length != b.length || a.length < 2) {
            throw new InvalidInputException("rank correlation needs two score vectors of the same length >= 2, got "
                    + a.length + " and " + b.length);
        }
    }

    /**
     * Agreement of two rankings of the same architecture, per component: columns component (head, neuron, channel,
     * layer), layer (−1 for model-wide components), n, kendall, spearman.
     */
    public static Table compare(ImportanceRanking a, ImportanceRanking b, int numLayers) {
        StringColumn comp = StringColumn.create("component");
        IntColumn layer = IntColumn.create("layer"), n = IntColumn.create("n");
        DoubleColumn tau = DoubleColumn.create("kendall"), rho = DoubleColumn.create("spearman");
        List<Object[]> rows = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            rows.add(new Object[] {"head", l, a.headScores(l), b.headScores(l)});
            rows.add(new Object[] {"neuron", l, a.neuronScores(l), b.neuronScores(l)});
        }
        rows.add(new Object[] {"channel", -1, a.channelScores(), b.channelScores()});
        rows.add(new Object[] {"layer", -1, a.layerScores(), b.layerScores()});
        for (Object[] r : rows) {
            double[] x = (double[]) r[2], y = (double[]) r[3];
            if (x.length < 2) {
                continue;
            }
            comp.append((String) r[0]);
            layer.append((Integer) r[1]);
            n.append(x.length);
            tau.append(kendallTau(x, y));
            rho.append(spearmanRho(x, y));
        }
        return Table.create("rank_agreement", comp, layer, n, tau, rho);
    }

    /** Agreement of every aggregation with {@code reference} (same statistics): {@link #compare} plus an aggregation column. */
    public static Table aggregations(ActivationStats stats, Aggregation reference, MlpVariant variant) {
        ImportanceScores ref = stats.scores(reference, variant);
        Table out = null;
        for (Aggregation agg : Aggregation.all()) {
            Table t = compare(ref, stats.scores(agg, variant), stats.config().numLayers());
            t.insertColumn(0, constant("aggregation", t.rowCount(), agg.label()));
            out = out == null ? t : out.append(t);
        }
        return out.setName("aggregation_agreement");
    }

    /**
     * Bootstrap bands: {@code replicates} resamples of the blocks (replicate r resamples with the r-th seed of {@code
     * SplittableRandom(seed)}), scored like {@code stats.scores(agg, variant)}. Columns layer, component, index, score
     * (full data), mean, std, lo, hi (the (1−level)/2 and (1+level)/2 percentiles) — rows as in {@link
     * ImportanceScores#table()}. Deterministic for a seed.
     */
    public static Table bootstrap(ActivationStats stats, Aggregation agg, MlpVariant variant, int replicates, long seed,
                                  double level) {
        if (replicates < 2) {
            throw new InvalidInputException("bootstrap needs at least 2 replicates, got " + replicates);
        }
        if (!(level > 0 && level < 1)) {
            throw new InvalidInputException("confidence level must be in (0, 1), got " + level);
        }
        Table full = stats.scores(agg, variant).table();
        int rows = full.rowCount();
        double[][] draws = new double[rows][replicates]; // (row, replicate)
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int r = 0; r < replicates; r++) {
            double[] s = stats.resample(seeds.nextLong()).scores(agg, variant).table().doubleColumn("score").asDoubleArray();
            for (int i = 0; i < rows; i++) {
                draws[i][r] = s[i];
            }
        }
        DoubleColumn mean = DoubleColumn.create("mean"), std = DoubleColumn.create("std"), lo = DoubleColumn.create("lo"),
                hi = DoubleColumn.create("hi");
        Percentile pct = new Percentile();
        for (double[] d : draws) {
            double m = 0, q = 0;
            for (double v : d) {
                m += v;
            }
            m /= replicates;
            for (double v : d) {
                q += (v - m) * (v - m);
            }
            mean.append(m);
            std.append(Math.sqrt(q / (replicates - 1)));
            lo.append(pct.evaluate(d, 100 * (1 - level) / 2));
            hi.append(pct.evaluate(d, 100 * (1 + level) / 2));
        }
        Table out = full.copy().setName("bootstrap");
        out.removeColumns("aggregation");
        return out.addColumns(mean, std, lo, hi, constant("aggregation", rows, agg.label()));
    }

    /**
     * {@link #bootstrap(ActivationStats, Aggregation, MlpVariant, int, long, double)} of the paper's scores
     * ({@link Aggregation#PAPER}, {@link MlpVariant#PAPER}) with 90% bands.
     */
    public static Table bootstrap(ActivationStats stats, int replicates, long seed) {
        return bootstrap(stats, Aggregation.PAPER, MlpVariant.PAPER, replicates, seed, 0.90);
    }

    private static StringColumn constant(String name, int rows, String value) {
        StringColumn c = StringColumn.create(name);
        for (int i = 0; i < rows; i++) {
            c.append(value);
        }
        return c;
    }
}
