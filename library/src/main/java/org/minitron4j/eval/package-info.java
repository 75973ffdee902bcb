/**
 * Model-independent task logic for log-likelihood benchmarks (Winogrande, HellaSwag/ARC/PIQA-style multiple choice),
 * reproducing lm-evaluation-harness's request construction, tokenization split and metrics. The model side implements
 * {@link org.minitron4j.eval.LoglikelihoodScorer}.
 */
@NullMarked
package org.minitron4j.eval;

import org.jspecify.annotations.NullMarked;
