/**
 * The transformer and its checkpoints: {@link org.minitron4j.model.ModelConfig} (every supported architecture family),
 * {@link org.minitron4j.model.Model} (f32 weights in memory) and the one forward pass ({@link
 * org.minitron4j.model.Forward}, with optional activation capture), which a {@link org.minitron4j.model.StreamedModel}
 * also runs one layer at a time over a checkpoint larger than memory; both are {@link
 * org.minitron4j.model.Transformer}s whose passes calibration and evaluation consume. Hugging Face folders in and out
 * ({@link org.minitron4j.model.Checkpoints}, safetensors reader and writer, dtypes, random-weight checkpoints), the
 * {@code tokenizer.json} wrapper and generation with a KV cache.
 */
package org.minitron4j.model;
