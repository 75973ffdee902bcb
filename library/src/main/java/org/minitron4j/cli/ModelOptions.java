package org.minitron4j.cli;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.minitron4j.InvalidInputException;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Devices;
import org.minitron4j.model.Model;
import org.minitron4j.model.Tokenizer;
import picocli.CommandLine.Option;

/** Options shared by commands that load a model: the folder, the device and the tokenizer. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json + safetensors).")
    Path model;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--tokenizer", description = "Folder or tokenizer.json (default: the model folder).")
    Path tokenizer;

    Device device() {
        return Devices.parse(device);
    }

    Model load() {
        return Checkpoints.load(model, device());
    }


    /** The tokenizer, required: for commands that must turn text into tokens. */
    Tokenizer tokenizer() {
        Path source = tokenizer != null ? tokenizer : model;
        if (tokenizer == null && !Files.exists(model.resolve("tokenizer.json"))) {
            throw new InvalidInputException(model + ": no tokenizer.json here; pass --tokenizer DIR or use pre-tokenized data (.bin/.npy)");
        }
        return Tokenizer.load(source);
    }
}
