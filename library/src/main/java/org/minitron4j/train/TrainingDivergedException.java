package org.minitron4j.train;

import org.minitron4j.InvalidInputException;

/**
 * Training stopped because it diverged, most often from a learning rate too high for the model. Like other bad input
 * the CLI prints its message and exits with code 2; code that handles a divergence catches this type and reads its
 * {@link #reason()}, {@link #step()} and {@link #loss()} instead of matching the message.
 */
public final class TrainingDivergedException extends InvalidInputException {
    /** What was not finite. */
    public enum Reason {
        /** The loss of {@link #step()} was NaN or infinite. */
        LOSS_NOT_FINITE,
        /** The gradient was not finite for too many steps in a row (their updates were skipped). */
        GRADIENT_NOT_FINITE,
        /**
         * The run reached its last step, but its final update(s) were skipped for a non-finite gradient: the model holds
         * the weights of the last finite update.
         */
        ENDED_ON_SKIPPED_UPDATES
    }

    private final Reason reason;
    private final int step;
    private final double loss;

    TrainingDivergedException(Reason reason, int step, double loss, String message) {
        super(message);
        this.reason = reason;
        this.step = step;
        this.loss = loss;
    }

    public Reason reason() {
        return reason;
    }

    /** The step (from 0) at which the divergence was found. */
    public int step() {
        return step;
    }

    /** The loss of that step: NaN or infinite for {@link Reason#LOSS_NOT_FINITE}, finite otherwise. */
    public double loss() {
        return loss;
    }
}
