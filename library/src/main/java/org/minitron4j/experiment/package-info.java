/**
 * Experiments that others can rerun: run records (the config, seed, versions, device and input fingerprints of a run
 * with its results, re-executable and checked for bit-identical numbers) and the claim checks that close the
 * notebooks in {@code papers/}.
 */
@NullMarked
package org.minitron4j.experiment;

import org.jspecify.annotations.NullMarked;
