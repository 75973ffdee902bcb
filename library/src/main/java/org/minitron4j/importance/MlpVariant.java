package org.minitron4j.importance;

import java.util.Locale;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Site;

/**
 * Which activation scores an MLP neuron: the paper's pre-activation X·W1ᵀ of the first projection (gate for gated
 * MLPs), or modelopt's down-projection input (after activation and gating).
 */
public enum MlpVariant {
    /** 2407.14679: the first MLP projection before the activation ({@link Site#MLP_PRE_ACT}). */
    PAPER(Site.MLP_PRE_ACT),
    /** modelopt: the input of down_proj ({@link Site#MLP_POST_ACT}). */
    MODELOPT(Site.MLP_POST_ACT);

    /** The captured site the variant reads. */
    public final Site site;

    MlpVariant(Site site) {
        this.site = site;
    }

    /** {@code paper} or {@code modelopt}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The component name in score tables: {@code neuron_paper} or {@code neuron_modelopt}. */
    public String component() {
        return "neuron_" + label();
    }

    public static MlpVariant parse(String s) {
        for (MlpVariant v : values()) {
            if (v.label().equalsIgnoreCase(s.strip())) {
                return v;
            }
        }
        throw new InvalidInputException("unknown MLP variant '" + s + "' (use paper or modelopt)");
    }
}
