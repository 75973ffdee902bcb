package org.minitron4j.distill;

import java.util.Locale;
import org.minitron4j.InvalidInputException;

/**
 * The divergence between the teacher's and the student's next-token distributions (p = softmax(z_teacher/τ),
 * q = softmax(z_student/τ)), computed per token over the vocabulary and averaged over tokens. The paper found forward
 * KLD best; {@link #NONE} turns the logit loss off (a CLM-only baseline needs no teacher at all).
 */
public enum LogitLoss {
    /** KL(p ‖ q) = Σ p (log p − log q). */
    FORWARD_KLD("kld"),
    /** KL(q ‖ p) = Σ q (log q − log p). */
    REVERSE_KLD("rkld"),
    /** Generalised JSD (TRL GKD): with m = β p + (1−β) q, β·KL(p ‖ m) + (1−β)·KL(q ‖ m); β = 0.5 is the symmetric JSD. */
    JSD("jsd"),
    /** Total variation ½ Σ |p − q|. */
    TVD("tvd"),
    /** Σ (z_student/τ − z_teacher/τ)² over the vocabulary (per token, not per logit). */
    MSE("mse"),
    /** 1 − cos(z_student, z_teacher) over the vocabulary. */
    COSINE("cosine"),
    /** No logit loss. */
    NONE("none");

    /** The command-line spelling. */
    public final String cliName;

    LogitLoss(String cliName) {
        this.cliName = cliName;
    }

    /** From the command-line spelling (kld, rkld, jsd, tvd, mse, cosine, none) or the enum name. */
    public static LogitLoss parse(String s) {
        for (LogitLoss l : values()) {
            if (l.cliName.equalsIgnoreCase(s) || l.name().equalsIgnoreCase(s)) {
                return l;
            }
        }
        throw new InvalidInputException("unknown logit loss '" + s + "' (use kld, rkld, jsd, tvd, mse, cosine or none)");
    }

    @Override
    public String toString() {
        return cliName.toLowerCase(Locale.ROOT);
    }
}
