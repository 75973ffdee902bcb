package org.minitron4j.cli;

import java.nio.file.Path;
import org.minitron4j.Progress;
import org.minitron4j.model.Devices;
import org.minitron4j.tinyworld.Teacher;
import org.minitron4j.train.Checkpointing;
import org.minitron4j.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code teacher}: retrain the bundled TinyWorld teacher from scratch. */
@Command(name = "teacher", mixinStandardHelpOptions = true, description = "Retrain the bundled TinyWorld teacher from scratch (the shipped recipe).")
final class TeacherCommand implements Runnable {
    @Option(names = "--dataset", defaultValue = "datasets/tinyworld", description = "TinyWorld folder (generated if train.txt is missing).")
    Path dataset;

    @Option(names = "--out", defaultValue = "datasets/tinyworld-teacher", description = "Output model folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", description = "Override the recipe's optimizer steps (for a quick check).")
    Integer steps;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N.")
    String device;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Save a resumable checkpoint in OUT/checkpoints every N steps (deleted once the teacher is saved; 0 = none).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue an interrupted run in --out from its newest checkpoint.")
    boolean resume;

    @Option(names = "--json", description = "Print the scores as one JSON object.")
    boolean json;

    private static final String CHECKPOINTS = "checkpoints";

    @Override
    public void run() {
        Teacher.Recipe recipe = Teacher.Recipe.defaults();
        if (steps != null) {
            recipe = recipe.forSteps(steps);
        }
        System.err.println("teacher recipe: " + recipe);
        Teacher.Scores s;
        Checkpointing ck = checkpointEvery > 0 || resume
                ? Checkpointing.to(out.resolve(CHECKPOINTS)).withEvery(checkpointEvery).withResume(resume) : Checkpointing.none();
        try (OutputFolder claim = overwrite.claim(out, resume, CHECKPOINTS)) {
            s = Teacher.train(dataset, out, recipe, Devices.parse(device), ck, Progress.stderr());
        }
        if (json) {
            Json.print(Json.MAPPER.valueToTree(s));
        } else {
            System.out.println(s);
        }
    }
}
