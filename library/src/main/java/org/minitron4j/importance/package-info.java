/**
 * Activation-based importance for Minitron pruning: one forward-only {@link org.minitron4j.importance.Calibration} pass
 * keeps additive sufficient statistics ({@link org.minitron4j.importance.ActivationStats}) from which every
 * batch × sequence {@link org.minitron4j.importance.Aggregation} of head, neuron and channel importance ({@link
 * org.minitron4j.importance.ImportanceScores}, an {@link org.minitron4j.importance.ImportanceRanking}) is derived
 * without recomputation; depth metrics ({@link org.minitron4j.importance.DepthMetrics}), iterative re-estimation
 * ({@link org.minitron4j.importance.IterativeImportance}) and rank stability ({@link
 * org.minitron4j.importance.RankStability}) sit on top. Scores are Tablesaw tables that save and reload.
 */
@NullMarked
package org.minitron4j.importance;

import org.jspecify.annotations.NullMarked;
