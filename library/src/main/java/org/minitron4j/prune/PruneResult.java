package org.minitron4j.prune;

import org.minitron4j.model.Model;

/**
 * What {@link Pruner#prune} returns: the new, smaller model (owned by the caller; closing the result closes it) and
 * the report of what was kept.
 */
public record PruneResult(Model model, PruneReport report) implements AutoCloseable {
    @Override
    public void close() {
        model.close();
    }
}
