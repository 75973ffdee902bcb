/**
 * minitron4j: structured pruning guided by activation importance, and knowledge-distillation retraining, for
 * decoder-only language models on DJL. Packages: {@code model} (config, transformer, checkpoints, tokenizer),
 * {@code data}, {@code eval}, {@code importance}, {@code prune}, {@code train}, {@code plot}, {@code notebook},
 * {@code cli}. This package holds what they share: {@link org.minitron4j.InvalidInputException}, {@link
 * org.minitron4j.Progress} and {@link org.minitron4j.OutputFolder}, the claim every call that writes a folder makes.
 */
package org.minitron4j;
