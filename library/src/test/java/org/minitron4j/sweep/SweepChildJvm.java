package org.minitron4j.sweep;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code ./minitron4j sweep} in a second JVM, killed as {@code kill -9} would when closed. */
final class SweepChildJvm implements AutoCloseable {
    private final Process process;

    private SweepChildJvm(Process process) {
        this.process = process;
    }

    static SweepChildJvm start(Path spec, Path out) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xmx2g"));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl."))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(List.of("org.minitron4j.cli.Main", "sweep", "--spec", spec.toString(), "--out", out.toString()));
        return new SweepChildJvm(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    /** Waits (at most two minutes) until {@code n} steps are recorded under {@code out}. */
    void awaitRecords(Path out, int n) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (SweepRunTest.records(out) < n) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the sweep ended (exit " + process.exitValue() + ") before " + n + " records");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + n + " records within two minutes");
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
