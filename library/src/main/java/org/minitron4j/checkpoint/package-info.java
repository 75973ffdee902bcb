/**
 * The checkpoint file formats, below the transformer: the {@link org.minitron4j.checkpoint.SafeTensors} reader (one
 * {@code model.safetensors} or a sharded index, memory-mapped, any stored type converted to f32) and {@link
 * org.minitron4j.checkpoint.SafeTensorsWriter} (sharded, atomic, in f32, f16 or bf16), with each tensor's header entry
 * ({@link org.minitron4j.checkpoint.TensorInfo}) and the element types ({@link org.minitron4j.checkpoint.DType}). They
 * know tensors by name and shape only: which tensors a model has and what {@code config.json} says belong to {@code
 * org.minitron4j.model}, which builds on this package (never the reverse).
 */
@NullMarked
package org.minitron4j.checkpoint;

import org.jspecify.annotations.NullMarked;
