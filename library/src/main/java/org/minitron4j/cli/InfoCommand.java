package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code info}: a model's configuration and exact parameter count. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's config and exact parameter count.")
final class InfoCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--json", description = "Print one JSON object: {\"parameters\":…,\"config\":{…}}.")
    boolean json;

    @Override
    public void run() {
        try (Model model = modelOptions.load()) {
            ModelConfig c = model.config();
            long params = model.parameterCount();
            if (json) {
                ObjectNode out = Json.object();
                out.put("parameters", params);
                out.set("config", c.toHuggingFace());
                Json.print(out);
            } else {
                System.out.printf(Locale.ROOT, "%s%nparameters: %,d%n", c, params);
                System.out.printf(Locale.ROOT, "norm %s (eps %.1e), activation %s, %s MLP, %s positions, tied embeddings: %s%n",
                        c.norm(), c.normEps(), c.activation().hfName, c.gatedMlp() ? "gated" : "plain",
                        c.learnedPositions() ? "learned" : "RoPE θ=" + c.ropeTheta(), c.tieWordEmbeddings());
            }
        }
    }
}
