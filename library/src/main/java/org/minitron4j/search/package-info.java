/**
 * Architecture search (2407.14679 §architecture search), on top of pruning, distillation and evaluation: {@link
 * org.minitron4j.search.ArchitectureSearch} enumerates candidate shapes near a parameter budget and, with {@link
 * org.minitron4j.search.ArchitectureSearch#run}, prunes the top ones from cached importance scores ({@link
 * org.minitron4j.prune.Pruner}), lightly distils each from the teacher ({@link org.minitron4j.search.SearchOptions})
 * and ranks them by validation loss, reporting how the ranking settled along the retraining ({@link
 * org.minitron4j.search.SearchResult}: leaderboard and Kendall τ tables).
 */
@NullMarked
package org.minitron4j.search;

import org.jspecify.annotations.NullMarked;
