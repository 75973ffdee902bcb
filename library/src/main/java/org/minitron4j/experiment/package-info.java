/**
 * Experiments that others can rerun: run records ({@link org.minitron4j.experiment.RunRecord}: the config, seed,
 * versions and device ({@link org.minitron4j.experiment.Environment}) and input fingerprints ({@link
 * org.minitron4j.experiment.Fingerprint}) of a run with its results), replayed and checked for bit-identical numbers
 * by {@link org.minitron4j.experiment.Runs} ({@link org.minitron4j.experiment.ReplayReport}), and the claim checks
 * ({@link org.minitron4j.experiment.ClaimCheck}) that close the notebooks in {@code papers/}, and the results table
 * models and runs are added to, one line each ({@link org.minitron4j.experiment.Leaderboard}: role, parameters and
 * metrics by name, "not measured" where absent).
 */
@NullMarked
package org.minitron4j.experiment;

import org.jspecify.annotations.NullMarked;
