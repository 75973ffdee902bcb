/**
 * minitron4j: structured pruning guided by activation importance, and knowledge-distillation retraining, for
 * decoder-only language models on DJL. The pipeline's packages: {@code checkpoint} (safetensors files and dtypes),
 * {@code model} (config, transformer, model folders, tokenizer), {@code data}, {@code importance}, {@code prune},
 * {@code train}, {@code distill}, {@code eval}, {@code search} (architecture search: prune, retrain, rank),
 * {@code experiment}, {@code html} (the rendering contract every result implements), {@code plot}; around them
 * {@code tinyworld} (a synthetic corpus and tasks), {@code demo}, {@code notebook} and {@code cli}. This package holds
 * what they share: {@link org.minitron4j.InvalidInputException}, {@link org.minitron4j.Progress},
 * {@link org.minitron4j.OutputFolder} (the claim every call that writes a folder makes),
 * {@link org.minitron4j.JsonMappers} (every JSON mapper), {@link org.minitron4j.EngineThreads} (PyTorch's thread
 * settings) and {@link org.minitron4j.NativeMemory} (glibc's malloc settings for libtorch's temporaries).
 */
@NullMarked
package org.minitron4j;

import org.jspecify.annotations.NullMarked;
