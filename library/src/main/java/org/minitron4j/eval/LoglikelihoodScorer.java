package org.minitron4j.eval;

import java.util.List;

/** Scores continuations the way lm-evaluation-harness's loglikelihood requests do. */
public interface LoglikelihoodScorer {
    /** Returns one result per request, in request order. */
    List<Loglikelihood> score(List<LoglikelihoodRequest> requests);
}
