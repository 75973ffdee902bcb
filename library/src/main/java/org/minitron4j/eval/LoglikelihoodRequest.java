package org.minitron4j.eval;

/** One loglikelihood request as token ids: the model reads the context, then is scored on the continuation. */
public record LoglikelihoodRequest(int[] context, int[] continuation) {}
