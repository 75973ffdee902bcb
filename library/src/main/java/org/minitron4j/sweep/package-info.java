/**
 * Ablation sweeps: a pipeline of command steps (importance → prune → distill → eval, or any subset) and the overrides
 * that make its arms ({@link org.minitron4j.sweep.Sweep}), run one arm after another, several at once on this
 * machine, or as Apache Spark tasks ({@link org.minitron4j.sweep.SweepExecutor}), into one results table ({@link
 * org.minitron4j.sweep.SweepResult}).
 *
 * <p>Every step is a command-line run recorded as a {@link org.minitron4j.experiment.RunRecord}, so any arm replays
 * alone with {@code ./minitron4j replay}. A step is identified by its command line: arms that share a step (the same
 * importance pass, the same pruned student) share one run, and a sweep run again skips every step whose record exists.
 */
@NullMarked
package org.minitron4j.sweep;

import org.jspecify.annotations.NullMarked;
