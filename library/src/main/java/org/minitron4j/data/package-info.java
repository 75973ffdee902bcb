/**
 * Token data: reading corpora ({@code .txt}, {@code .jsonl}, {@code .bin}, {@code .npy}) into one token stream with
 * {@link org.minitron4j.data.TokenSource}, cutting streams into evaluation, sampled and padded windows with
 * {@link org.minitron4j.data.Batches}, and JSONL files in and out ({@link org.minitron4j.data.Jsonl}).
 */
@NullMarked
package org.minitron4j.data;

import org.jspecify.annotations.NullMarked;
