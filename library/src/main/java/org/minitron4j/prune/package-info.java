/**
 * Structured pruning (the Minitron "trim" step): a {@link org.minitron4j.prune.PrunePlan} of target sizes, validated
 * against a model's config, and {@link org.minitron4j.prune.Pruner#prune} which keeps the top-ranked hidden channels,
 * attention heads (per KV group), MLP neurons and layers of an {@link org.minitron4j.importance.ImportanceRanking} and
 * returns a new, smaller {@link org.minitron4j.model.Model} with a {@link org.minitron4j.prune.PruneReport} of what was
 * kept. The original model is never modified; config and weights of the result always agree. What is kept is decided
 * without weights ({@link org.minitron4j.prune.Selection}), so {@link org.minitron4j.prune.CheckpointSurgery} applies
 * the same pruning checkpoint folder to checkpoint folder, in the stored dtype, for models larger than memory.
 *
 * <p>{@link org.minitron4j.prune.WeightMagnitudeRanking} is a data-free fallback ranking. Choosing the shape to prune
 * to (pruning candidate shapes, retraining and ranking them) lives in {@code org.minitron4j.search}, which builds on
 * this package; pruning itself needs neither training, distillation nor evaluation.
 */
@NullMarked
package org.minitron4j.prune;

import org.jspecify.annotations.NullMarked;
