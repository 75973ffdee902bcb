/**
 * Knowledge distillation, the retraining half of Minitron: {@link org.minitron4j.distill.DistillationConfig} (logit
 * loss, temperature, top-k, intermediate-state pairs and projection, CLM weight, α), the losses as functions
 * ({@link org.minitron4j.distill.DistillationLosses}), the {@link org.minitron4j.distill.DistillationObjective} the
 * shared training loop minimises with a frozen teacher, and the one-call verb
 * {@link org.minitron4j.distill.Distillation#run}.
 */
@NullMarked
package org.minitron4j.distill;

import org.jspecify.annotations.NullMarked;
