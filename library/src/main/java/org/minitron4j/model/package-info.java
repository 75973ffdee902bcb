/**
 * The transformer and its checkpoints: {@link org.minitron4j.model.ModelConfig} (every supported architecture family),
 * {@link org.minitron4j.model.Model} (f32 weights in memory) and the one forward pass ({@link
 * org.minitron4j.model.Forward}, with optional activation capture), which a {@link org.minitron4j.model.StreamedModel}
 * also runs one layer at a time over a checkpoint larger than memory; both are {@link
 * org.minitron4j.model.Transformer}s whose passes calibration and evaluation consume. Hugging Face folders in and out
 * ({@link org.minitron4j.model.Checkpoints}, {@link org.minitron4j.model.SafeTensors} reader and {@link
 * org.minitron4j.model.SafeTensorsWriter}, {@link org.minitron4j.model.DType}s, {@link
 * org.minitron4j.model.RandomCheckpoint}), the {@code tokenizer.json} wrapper ({@link org.minitron4j.model.Tokenizer})
 * and generation with a KV cache ({@link org.minitron4j.model.Generator}). Engine helpers: {@link
 * org.minitron4j.model.Devices}, {@link org.minitron4j.model.NoGrad} (the one switch of libtorch's grad mode) and
 * {@link org.minitron4j.model.Scalars} (constants autograd can keep).
 */
@NullMarked
package org.minitron4j.model;

import org.jspecify.annotations.NullMarked;
