/**
 * TinyWorld: a deterministic, seeded English micro-world (entities with consistent attributes), a corpus of short
 * stories about it, Winogrande-format tasks whose answers follow from the world's facts, a word-level Hugging Face
 * tokenizer, and the recipe that trains the bundled teacher ({@link org.minitron4j.tinyworld.Teacher}). Entry point:
 * {@link org.minitron4j.tinyworld.TinyWorld#generate}.
 */
@NullMarked
package org.minitron4j.tinyworld;

import org.jspecify.annotations.NullMarked;
