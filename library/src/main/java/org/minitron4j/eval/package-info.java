/**
 * Evaluation: LM loss and perplexity ({@link org.minitron4j.eval.LmLoss}), and log-likelihood benchmarks ({@link
 * org.minitron4j.eval.Winogrande}, HellaSwag/ARC/PIQA-style {@link org.minitron4j.eval.MultipleChoice}) whose task
 * logic is model-independent and reproduces lm-evaluation-harness's request construction, tokenization split and
 * metrics. The model side implements {@link org.minitron4j.eval.LoglikelihoodScorer} ({@link
 * org.minitron4j.eval.ModelScorer} for in-memory and streamed models); results ({@link
 * org.minitron4j.eval.WinograndeResult}, {@link org.minitron4j.eval.MultipleChoiceResult}) carry a per-item table.
 * {@link org.minitron4j.eval.EvalSuite} names what a study measures on every model (LM loss with {@link
 * org.minitron4j.eval.LmLossOptions}, Winogrande, multiple choice) so each model is measured the same way.
 */
@NullMarked
package org.minitron4j.eval;

import org.jspecify.annotations.NullMarked;
