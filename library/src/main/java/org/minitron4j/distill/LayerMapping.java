package org.minitron4j.distill;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.minitron4j.InvalidInputException;

/**
 * Which student layers are matched to which teacher layers for the intermediate-state loss: none, the last n layers of
 * each, k pairs spaced uniformly over both depths, or an explicit list. Rules are resolved against the two depths by
 * {@link #resolve}; the record itself is serialisable (kind, count, pairs).
 *
 * @param kind  the rule
 * @param count n for {@link Kind#LAST_N}, k for {@link Kind#UNIFORM} (0 = one pair per student layer), else 0
 * @param pairs the explicit pairs for {@link Kind#EXPLICIT}, else empty
 */
public record LayerMapping(Kind kind, int count, List<LayerPair> pairs) {
    /** The mapping rule. */
    public enum Kind { NONE, LAST_N, UNIFORM, EXPLICIT }

    public LayerMapping {
        if (kind == null) {
            throw new InvalidInputException("layer mapping kind must be one of NONE, LAST_N, UNIFORM, EXPLICIT");
        }
        pairs = pairs == null ? List.of() : List.copyOf(pairs);
        if (count < 0 || (kind == Kind.LAST_N && count == 0)) {
            throw new InvalidInputException("layer mapping " + kind + " needs a positive count, got " + count);
        }
        if (kind == Kind.EXPLICIT && pairs.isEmpty()) {
            throw new InvalidInputException("an explicit layer mapping needs at least one S:T pair");
        }
        if (kind != Kind.EXPLICIT && !pairs.isEmpty()) {
            throw new InvalidInputException("only an EXPLICIT layer mapping lists pairs, got " + kind + " with " + pairs);
        }
    }

    public static LayerMapping none() {
        return new LayerMapping(Kind.NONE, 0, List.of());
    }

    /** Student layer Ls−n+j ↔ teacher layer Lt−n+j for j = 0..n−1. */
    public static LayerMapping lastN(int n) {
        return new LayerMapping(Kind.LAST_N, n, List.of());
    }

    /** k pairs: student layer round((j+1)·Ls/k)−1 ↔ teacher layer round((j+1)·Lt/k)−1; the last pair is the last layers. */
    public static LayerMapping uniform(int k) {
        if (k <= 0) {
            throw new InvalidInputException("uniform layer mapping needs k > 0, got " + k);
        }
        return new LayerMapping(Kind.UNIFORM, k, List.of());
    }

    public static LayerMapping explicit(List<LayerPair> pairs) {
        return new LayerMapping(Kind.EXPLICIT, 0, pairs);
    }

    /**
     * Parses {@code none}, {@code last-N}, {@code uniform} (one pair per student layer), {@code uniform-K}, or an
     * explicit list {@code S:T,S:T,...}.
     */
    public static LayerMapping parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.equals("none") || s.isEmpty()) {
                return none();
            }
            if (s.startsWith("last-")) {
                return lastN(Integer.parseInt(s.substring(5)));
            }
            if (s.equals("uniform")) {
                return new LayerMapping(Kind.UNIFORM, 0, List.of());
            }
            if (s.startsWith("uniform-")) {
                return uniform(Integer.parseInt(s.substring(8)));
            }
            List<LayerPair> pairs = new ArrayList<>();
            for (String p : s.split(",")) {
                String[] st = p.trim().split(":");
                if (st.length != 2) {
                    throw new NumberFormatException(p);
                }
                pairs.add(new LayerPair(Integer.parseInt(st[0].trim()), Integer.parseInt(st[1].trim())));
            }
            return explicit(pairs);
        } catch (NumberFormatException e) {
            throw new InvalidInputException("cannot read layer mapping '" + spec
                    + "' (use none, last-N, uniform, uniform-K or S:T,S:T,...)");
        }
    }

    @JsonIgnore
    public boolean isEmpty() {
        return kind == Kind.NONE;
    }

    /**
     * The pairs for a student of {@code studentLayers} and a teacher of {@code teacherLayers} layers.
     *
     * @throws InvalidInputException if a rule asks for more layers than exist or an explicit index is out of range
     */
    public List<LayerPair> resolve(int studentLayers, int teacherLayers) {
        List<LayerPair> out = new ArrayList<>();
        switch (kind) {
            case NONE:
                break;
            case LAST_N:
                if (count > Math.min(studentLayers, teacherLayers)) {
                    throw new InvalidInputException("last-" + count + " needs " + count + " layers, the student has "
                            + studentLayers + " and the teacher " + teacherLayers);
                }
                for (int j = 0; j < count; j++) {
                    out.add(new LayerPair(studentLayers - count + j, teacherLayers - count + j));
                }
                break;
            case UNIFORM: {
                int k = count == 0 ? studentLayers : count;
                if (k > Math.min(studentLayers, teacherLayers)) {
                    throw new InvalidInputException("uniform-" + k + " needs " + k + " layers, the student has "
                            + studentLayers + " and the teacher " + teacherLayers);
                }
                for (int j = 0; j < k; j++) {
                    out.add(new LayerPair((int) Math.round((j + 1) * (double) studentLayers / k) - 1,
                            (int) Math.round((j + 1) * (double) teacherLayers / k) - 1));
                }
                break;
            }
            default:
                for (LayerPair p : pairs) {
                    if (p.student() > studentLayers || p.teacher() > teacherLayers) {
                        throw new InvalidInputException("layer pair " + p + " is out of range: the student has "
                                + studentLayers + " layers and the teacher " + teacherLayers
                                + " (index = layers means the final norm)");
                    }
                }
                out.addAll(pairs);
        }
        return out;
    }

    @Override
    public String toString() {
        switch (kind) {
            case NONE: return "none";
            case LAST_N: return "last-" + count;
            case UNIFORM: return count == 0 ? "uniform" : "uniform-" + count;
            default: return pairs.stream().map(LayerPair::toString).reduce((a, b) -> a + "," + b).orElse("");
        }
    }
}
