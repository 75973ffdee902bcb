package org.minitron4j.distill;

import org.minitron4j.InvalidInputException;

/**
 * A student layer whose hidden state is matched to a teacher layer's. An index equal to a model's number of layers
 * denotes its final-norm output.
 */
public record LayerPair(int student, int teacher) {
    public LayerPair {
        if (student < 0 || teacher < 0) {
            throw new InvalidInputException("layer indices must be >= 0, got " + student + ":" + teacher);
        }
    }

    @Override
    public String toString() {
        return student + ":" + teacher;
    }
}
