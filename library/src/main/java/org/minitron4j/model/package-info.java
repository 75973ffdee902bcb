/**
 * Model-side building blocks; for now the Hugging Face {@code tokenizer.json} wrapper {@link
 * org.minitron4j.model.Tokenizer}.
 */
package org.minitron4j.model;
