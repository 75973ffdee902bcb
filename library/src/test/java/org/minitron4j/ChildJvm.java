package org.minitron4j;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.minitron4j.model.Checkpoints;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;

/**
 * A second process for tests of {@link OutputFolder}: {@code hold DIR} claims DIR and waits to be killed; {@code save
 * DIR} claims DIR (resuming) and saves two models of different shapes into it in turn, pausing after each save,
 * until it is killed. Each prints
 * one line on stdout once it is under way.
 */
public final class ChildJvm implements AutoCloseable {
    /** The two models {@code save} alternates between: different widths, so a mix of the two cannot load. */
    public static final ModelConfig A = ModelConfig.llama(64, 64, 128, 2, 4, 2), B = ModelConfig.llama(64, 64, 96, 2, 4, 2);
    public static final long SEED_A = 1, SEED_B = 2;
    /** Small shards: a save is many files, so a kill lands between them as often as inside one. */
    public static final long SHARD_BYTES = 40_000;
    private static final long PAUSE_MS = 30;

    private final Process process;

    private ChildJvm(Process process) {
        this.process = process;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("hold")) {
            OutputFolder.claim(dir, OutputFolder.Mode.FRESH);
            System.out.println("claimed " + ProcessHandle.current().pid());
            Thread.sleep(TimeUnit.MINUTES.toMillis(5));
            return;
        }
        try (OutputFolder claim = OutputFolder.claim(dir, OutputFolder.Mode.RESUME);
             Model a = Model.random(A, ai.djl.Device.cpu(), SEED_A); Model b = Model.random(B, ai.djl.Device.cpu(), SEED_B)) {
            System.out.println("saving");
            for (int i = 0; ; i++) {
                Checkpoints.save(i % 2 == 0 ? b : a, dir, Checkpoints.SaveOptions.defaults().withMaxShardBytes(SHARD_BYTES));
                Thread.sleep(PAUSE_MS);
            }
        }
    }

    /** Starts {@code main(mode, dir)} in a new JVM with this one's class path and waits for its first line. */
    public static ChildJvm start(String mode, Path dir) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx1g"));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl."))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(List.of(ChildJvm.class.getName(), mode, dir.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null) {
            throw new IllegalStateException("the child JVM (" + mode + " " + dir + ") exited with " + waitFor(p));
        }
        return new ChildJvm(p);
    }

    /** Kills the process as {@code kill -9} would (no shutdown hooks, no finally blocks) and waits for it. */
    public void kill() {
        process.destroyForcibly();
        waitFor(process);
    }

    private static int waitFor(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        kill();
    }
}
