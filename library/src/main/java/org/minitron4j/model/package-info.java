/**
 * The transformer: {@link org.minitron4j.model.ModelConfig} (every supported architecture family), {@link
 * org.minitron4j.model.Model} (f32 weights in memory, named by {@link org.minitron4j.model.WeightNames}) and the one
 * forward pass ({@link org.minitron4j.model.Forward}, with optional activation capture), which a {@link
 * org.minitron4j.model.StreamedModel} also runs one layer at a time over a checkpoint larger than memory; both are
 * {@link org.minitron4j.model.Transformer}s whose passes calibration and evaluation consume. Model folders in and out
 * ({@link org.minitron4j.model.Checkpoints}: each architecture's Hugging Face tensor names and {@code config.json},
 * loaded in memory or streamed within a {@link org.minitron4j.model.MemoryBudget}; {@link
 * org.minitron4j.model.RandomCheckpoint}), on top of the file formats of {@code org.minitron4j.checkpoint}; the
 * {@code tokenizer.json} wrapper ({@link org.minitron4j.model.Tokenizer}) and generation with a KV cache ({@link
 * org.minitron4j.model.Generator}). Engine helpers: {@link org.minitron4j.model.Devices}, {@link
 * org.minitron4j.model.NoGrad} and {@link org.minitron4j.model.Autograd} (the switches of libtorch's grad mode, off and
 * on, per thread) and {@link org.minitron4j.model.Scalars}
 * (constants autograd can keep).
 */
@NullMarked
package org.minitron4j.model;

import org.jspecify.annotations.NullMarked;
