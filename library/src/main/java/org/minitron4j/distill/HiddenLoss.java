package org.minitron4j.distill;

import org.minitron4j.InvalidInputException;

/** Per-pair loss between normalised (and projected) student and teacher hidden states. */
public enum HiddenLoss {
    /** 1 − cos(h_student, h_teacher) per token, mean over tokens (modelopt's default). */
    COSINE,
    /** Mean over tokens and channels of (h_student − h_teacher)². */
    MSE;

    public static HiddenLoss parse(String s) {
        for (HiddenLoss l : values()) {
            if (l.name().equalsIgnoreCase(s)) {
                return l;
            }
        }
        throw new InvalidInputException("unknown intermediate loss '" + s + "' (use cosine or mse)");
    }
}
