/**
 * The one training loop ({@link org.minitron4j.train.Trainer}): seeded batches, gradient accumulation, global-norm
 * clipping, AdamW without decay on norms and biases (its moments in flat buffers, updated a
 * cache-sized chunk at a time), warmup then cosine / linear decay, per-step NDManager scopes, a
 * per-step {@link org.minitron4j.train.TrainingLog}, and atomic checkpoints with bit-exact resume
 * ({@link org.minitron4j.train.Checkpointing}). What a step minimises is an {@link org.minitron4j.train.Objective}:
 * plain language modelling, or distillation from a teacher ({@code org.minitron4j.distill}).
 */
@NullMarked
package org.minitron4j.train;

import org.jspecify.annotations.NullMarked;
