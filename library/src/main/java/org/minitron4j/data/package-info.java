/**
 * Token data: reading corpora ({@code .txt}, {@code .jsonl}, {@code .bin}, {@code .npy}) into one token stream with
 * {@link org.minitron4j.data.TokenSource}, cutting streams into evaluation, sampled and padded windows with
 * {@link org.minitron4j.data.Batches}, and JSONL files in and out ({@link org.minitron4j.data.Jsonl}). A
 * {@link org.minitron4j.data.Corpus} holds a study's train, validation and calibration tokens.
 */
@NullMarked
package org.minitron4j.data;

import org.jspecify.annotations.NullMarked;
