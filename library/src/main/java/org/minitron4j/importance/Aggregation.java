package org.minitron4j.importance;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.minitron4j.InvalidInputException;

/**
 * How activations are reduced to one score per channel: first over the sequence axis of each sample, then over the
 * batch (calibration samples) axis, each by mean, L2 norm or variance (2407.14679 §2.2). The paper's winner, and the
 * default, is batch = L2, sequence = mean.
 *
 * <p>Precisely, for activations A[b, s, d] of sample b, position s (T positions) and channel d, with n samples:
 * <ul>
 *   <li>sequence: mean x = (1/T)·Σ_s |A|; L2 x = sqrt(Σ_s A²); var x = (1/T)·Σ_s (|A| − mean_s |A|)² (the population
 *   variance of |A|). Magnitudes |A| throughout, as modelopt does: signed means of pre-activations cancel.</li>
 *   <li>batch, over the per-sample values x_b: mean = (1/n)·Σ_b x_b; L2 = sqrt(Σ_b x_b²); var = (1/n)·Σ_b x_b² −
 *   mean² (population variance).</li>
 * </ul>
 * modelopt's choice (per sample mean_s |A|, then sqrt(Σ_b ·²)) is exactly {@link #PAPER}.
 */
public record Aggregation(Reduction batch, Reduction sequence) {
    /** A reduction of one axis. */
    public enum Reduction {
        MEAN, L2, VAR;

        /** The lower-case name used in tables, files and the CLI ({@code mean}, {@code l2}, {@code var}). */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code mean}, {@code l2} or {@code var} (case-insensitive); the message names a bad value. */
        public static Reduction parse(String s) {
            for (Reduction r : values()) {
                if (r.label().equalsIgnoreCase(s.strip())) {
                    return r;
                }
            }
            throw new InvalidInputException("unknown reduction '" + s + "' (use mean, l2 or var)");
        }
    }

    /** batch = L2, sequence = mean: the paper's best and modelopt's only aggregation. */
    public static final Aggregation PAPER = new Aggregation(Reduction.L2, Reduction.MEAN);

    public Aggregation {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(sequence, "sequence");
    }

    /** The aggregation named by two labels, e.g. {@code of("l2", "mean")}. */
    public static Aggregation of(String batch, String sequence) {
        return new Aggregation(Reduction.parse(batch), Reduction.parse(sequence));
    }

    /** All nine combinations, batch-major. */
    public static List<Aggregation> all() {
        List<Aggregation> out = new ArrayList<>();
        for (Reduction b : Reduction.values()) {
            for (Reduction s : Reduction.values()) {
                out.add(new Aggregation(b, s));
            }
        }
        return out;
    }

    /** {@code batch=l2,seq=mean}: the label in score tables. */
    public String label() {
        return "batch=" + batch.label() + ",seq=" + sequence.label();
    }

    /** Parses {@link #label()}. */
    public static Aggregation parseLabel(String label) {
        String[] parts = label.split(",");
        if (parts.length != 2 || !parts[0].startsWith("batch=") || !parts[1].startsWith("seq=")) {
            throw new InvalidInputException("aggregation label must look like 'batch=l2,seq=mean', got '" + label + "'");
        }
        return of(parts[0].substring(6), parts[1].substring(4));
    }

    @Override
    public String toString() {
        return label();
    }
}
