package org.minitron4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.Progress;
import org.minitron4j.demo.Demo;
import org.minitron4j.model.Devices;
import org.minitron4j.OutputFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code demo}: the whole Minitron pipeline on the embedded default, with an HTML report. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Teacher → importance → width/depth students → distillation → evaluation; writes report.html and results.json.")
final class DemoCommand implements Runnable {
    @Option(names = "--out", defaultValue = "demo-output", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--teacher", defaultValue = "datasets/tinyworld-teacher", description = "Teacher model folder (default: ${DEFAULT-VALUE}).")
    Path teacher;

    @Option(names = "--dataset", defaultValue = "datasets/tinyworld", description = "TinyWorld folder (default: ${DEFAULT-VALUE}).")
    Path dataset;

    @Option(names = "--steps", defaultValue = "400", description = "Distillation steps per student (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N.")
    String device;

    @Mixin
    OverwriteOption overwrite;

    @Option(names = "--json", description = "Print results as one JSON object.")
    boolean json;

    @Override
    public void run() {
        Demo.Options d = Demo.Options.defaults();
        Demo.Options o = new Demo.Options(teacher, dataset, out, d.calibrationSamples(), steps, d.validationTokens(),
                d.winograndeItems(), d.seed(), Devices.parse(device));
        Demo.Results r;
        try (OutputFolder claim = overwrite.claim(out)) {
            r = Demo.run(o, Progress.stderr());
        }
        if (json) {
            ObjectNode node = Json.object();
            node.set("models", Json.MAPPER.valueToTree(r.models()));
            node.put("report", r.report().toString());
            node.put("seconds", r.seconds());
            Json.print(node);
        } else {
            System.out.println(r.table().print());
            System.out.printf(Locale.ROOT, "report: %s (%.0f s)%n", r.report(), r.seconds());
        }
    }
}
