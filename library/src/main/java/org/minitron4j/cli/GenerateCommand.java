package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Generator;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: continue a prompt greedily or by seeded temperature / top-p sampling. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text from a prompt (KV cache; greedy when --temperature 0).")
final class GenerateCommand implements Runnable {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, description = "The prompt text.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "32", description = "New tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object with the prompt, the completion and its token ids.")
    boolean json;

    @Override
    public void run() {
        Flags.atLeast("--max-tokens", maxTokens, 0);
        if (!(temperature >= 0)) {
            throw new InvalidInputException("--temperature must be >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidInputException("--top-p must be in (0, 1], got " + topP);
        }
        Generator.Options options = new Generator.Options(maxTokens, temperature, topP, seed, true);
        try (Model model = modelOptions.load(); Tokenizer tok = modelOptions.tokenizer()) {
            int[] ids = tok.encode(prompt, true);
            Flags.fitsContext("--prompt (" + ids.length + " tokens) + --max-tokens " + maxTokens,
                    (long) ids.length + maxTokens, model.config().maxSequenceLength());
            int[] out = Generator.generate(model, ids, options);
            String text = tok.decode(out, true);
            if (json) {
                ObjectNode o = Json.object();
                o.put("prompt", prompt);
                o.put("completion", text);
                ArrayNode arr = o.putArray("tokens");
                for (int t : out) arr.add(t);
                Json.print(o);
            } else {
                int[] all = java.util.Arrays.copyOf(ids, ids.length + out.length);
                System.arraycopy(out, 0, all, ids.length, out.length);
                System.out.println(tok.decode(all, true));
            }
        }
    }
}
