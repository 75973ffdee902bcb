/**
 * minitron4j: structured pruning guided by activation importance, and knowledge-distillation retraining, for
 * decoder-only language models on DJL. Packages: {@code model} (config, transformer, checkpoints, tokenizer),
 * {@code data}, {@code eval}, {@code importance}, {@code prune}, {@code train}, {@code plot}, {@code notebook},
 * {@code cli}.
 */
package org.minitron4j;
