package org.minitron4j.importance;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.minitron4j.InvalidInputException;

/**
 * Settings of a {@link Calibration} pass, with the CLI's defaults ({@code importance --samples 1024 --seq-len 256
 * --batch-size 8 --seed 1234}): {@code CalibrationOptions.defaults().withSamples(256).withSeqLen(128)}.
 *
 * @param samples   windows drawn from the calibration tokens (2407.14679 uses 1024)
 * @param seqLen    tokens per window
 * @param batchSize windows per forward pass (memory, not results)
 * @param seed      seed of the windows' random starts
 * @param blocks    bootstrap blocks the statistics are kept in (at most {@code samples}; more blocks, finer
 *                  {@link RankStability#bootstrap} resampling, more memory)
 */
@RecordBuilder
public record CalibrationOptions(int samples, int seqLen, int batchSize, long seed, int blocks)
        implements CalibrationOptionsBuilder.With {
    public CalibrationOptions {
        atLeastOne("samples", samples);
        atLeastOne("seqLen", seqLen);
        atLeastOne("batchSize", batchSize);
        atLeastOne("blocks", blocks);
    }

    private static void atLeastOne(String option, int value) {
        if (value < 1) {
            throw new InvalidInputException("calibration option " + option + " must be at least 1, got " + value);
        }
    }

    /** 1024 windows of 256 tokens, 8 per batch, seed 1234, {@link Calibration#DEFAULT_BLOCKS} blocks. */
    public static CalibrationOptions defaults() {
        return new CalibrationOptions(1024, 256, 8, 1234, Calibration.DEFAULT_BLOCKS);
    }
}
