package org.minitron4j.cli;

import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.MemoryBudget;
import org.minitron4j.model.Transformer;
import picocli.CommandLine.Option;

/** {@code --stream} and {@code --memory}: whether a pass (importance, eval) loads the model or streams its layers. */
final class StreamOptions {
    @Option(names = "--stream", description = "Read the checkpoint one layer at a time even if it fits in memory."
            + " Without it, a model whose f32 weights (plus 1.1 GB of runtime) exceed 80% of the memory budget is streamed.")
    boolean stream;

    @Option(names = "--memory", description = "Memory budget of the whole process, e.g. 8GB, 16GiB or 8G (binary, as -Xmx8g; default: the"
            + " memory available now). A streamed pass sizes its groups of windows to stay within it, and refuses a"
            + " budget too small for one batch.")
    String memory;

    /** The model for a pass (calibration, LM loss, scoring): in memory, or streamed; a line on stderr says which. */
    Transformer open(ModelOptions model) {
        MemoryBudget budget = memory == null ? MemoryBudget.available() : MemoryBudget.of(ByteSizes.parse("--memory", memory));
        return Checkpoints.open(model.model, model.device(), stream ? budget.streaming() : budget, System.err::println);
    }
}
