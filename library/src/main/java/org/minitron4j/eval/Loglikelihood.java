package org.minitron4j.eval;

/** The summed log-probability of a continuation's tokens, and whether each of them was the argmax (greedy). */
public record Loglikelihood(double logProb, boolean greedy) {}
