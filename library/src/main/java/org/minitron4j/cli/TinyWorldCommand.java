package org.minitron4j.cli;

import java.nio.file.Path;
import org.minitron4j.tinyworld.TinyWorld;
import org.minitron4j.tinyworld.TinyWorldFiles;
import org.minitron4j.tinyworld.TinyWorldOptions;
import org.minitron4j.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tinyworld}: (re)generate the TinyWorld corpus, tasks and tokenizer. */
@Command(name = "tinyworld", mixinStandardHelpOptions = true, description = "Generate the TinyWorld corpus, Winogrande-format tasks and tokenizer (deterministic).")
final class TinyWorldCommand implements Runnable {
    @Option(names = "--out", defaultValue = "datasets/tinyworld", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "1234", description = "World seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    OverwriteOption overwrite;

    @Override
    public void run() {
        TinyWorldFiles f;
        try (OutputFolder claim = overwrite.claim(out)) {
            f = TinyWorld.generate(out, TinyWorldOptions.defaults().withSeed(seed));
        }
        System.out.printf("wrote %s: %,d train / %,d validation / %,d calibration words, %d dev + %d few-shot + %d easy "
                        + "Winogrande items, %d story endings, vocabulary %d%n", f.outDir(), f.trainWords(),
                f.validationWords(), f.calibrationWords(), f.devItems(), f.fewshotItems(), f.easyDevItems(),
                f.storyItems(), f.vocabSize());
    }
}
