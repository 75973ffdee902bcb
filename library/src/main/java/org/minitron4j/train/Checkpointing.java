package org.minitron4j.train;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.minitron4j.InvalidInputException;

/**
 * Where and how often a training run saves its full state (weights, extra trainable parameters, AdamW moments and step
 * count, data position, log), and whether it resumes from the newest complete checkpoint there. Checkpoints are written
 * atomically (temporary folder, fsync, rename); the previous one is deleted only after the new one is complete. The
 * folder is claimed for the run ({@link org.minitron4j.OutputFolder}): without {@code resume}, one that holds files is
 * refused.
 *
 * @param dir    checkpoint folder, or null for none
 * @param every  save every this many optimizer steps; 0 = only at the end
 * @param resume continue from the newest complete checkpoint in {@code dir} (start fresh if there is none)
 */
@RecordBuilder
public record Checkpointing(@Nullable Path dir, int every, boolean resume) implements CheckpointingBuilder.With {
    public Checkpointing {
        if (every < 0) {
            throw new InvalidInputException("checkpoint interval must be >= 0 (0 = only at the end), got " + every);
        }
        if (dir == null && (every > 0 || resume)) {
            throw new InvalidInputException("checkpointing every " + every + " steps or resuming needs a checkpoint folder");
        }
    }

    private static final Checkpointing NONE = new Checkpointing(null, 0, false);

    /** No checkpoints. */
    public static Checkpointing none() {
        return NONE;
    }

    /** Save into {@code dir} at the end of the run (add {@link #withEvery} for periodic saves). */
    public static Checkpointing to(Path dir) {
        return new Checkpointing(dir, 0, false);
    }

    public boolean enabled() {
        return dir != null;
    }

    /** Deletes the checkpoint folder and everything in it (once the run's result is saved elsewhere); none: no-op. */
    public void discard() throws java.io.IOException {
        if (enabled()) {
            TrainingCheckpoint.deleteTree(dir);
        }
    }

    /** Whether the state after {@code completedSteps} of {@code totalSteps} is saved. */
    boolean savesAfter(int completedSteps, int totalSteps) {
        return enabled() && (completedSteps == totalSteps || (every > 0 && completedSteps % every == 0));
    }
}
