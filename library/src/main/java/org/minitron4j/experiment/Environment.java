package org.minitron4j.experiment;

import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a run ran: library, DJL and engine versions, Java, operating system, cores and PyTorch thread counts, device.
 * On CPU the same environment gives bit-identical numbers; a different thread count or engine build may change the
 * last bits (reduction order), which a replay reports as a cause.
 *
 * @param minitron4j    this library's version
 * @param djl           DJL's version
 * @param engine        the engine DJL runs on, e.g. "PyTorch 2.7.1"
 * @param java          {@code java.version} and vendor
 * @param os            operating system name, version and architecture
 * @param cores         {@code Runtime.availableProcessors()}
 * @param threads       PyTorch intra-op threads ({@code ai.djl.pytorch.num_threads}, empty when unset)
 * @param interopThreads PyTorch inter-op threads ({@code ai.djl.pytorch.num_interop_threads})
 * @param device        the run's device option ("cpu", "gpu:0"), empty when the command has none
 */
public record Environment(String minitron4j, String djl, String engine, String java, String os, int cores,
                          String threads, String interopThreads, String device) {
    /** This library's version (the jar manifest's Implementation-Version, else the source tree's). */
    public static final String VERSION = version();

    public Environment {
        Objects.requireNonNull(minitron4j, "minitron4j");
        Objects.requireNonNull(djl, "djl");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(os, "os");
        threads = threads == null ? "" : threads;
        interopThreads = interopThreads == null ? "" : interopThreads;
        device = device == null ? "" : device;
    }

    /** This process's environment for a run on {@code device} (starts the engine if it has not started). */
    public static Environment current(String device) {
        Engine e = Engine.getInstance();
        return new Environment(VERSION, Engine.getDjlVersion(), e.getEngineName() + " " + e.getVersion(),
                System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), threads(e),
                System.getProperty("ai.djl.pytorch.num_interop_threads"), device);
    }

    /**
     * The intra-op thread count this thread's PyTorch operations use: set per thread by a sweep running arms side by
     * side ({@code at::set_num_threads}), else the engine's, else the property.
     */
    private static @Nullable String threads(Engine e) {
        if (e.getEngineName().equals("PyTorch")) {
            return String.valueOf(ai.djl.pytorch.jni.JniUtils.getNumThreads());
        }
        return System.getProperty("ai.djl.pytorch.num_threads");
    }

    /** "field: recorded → now" for each field that differs from {@code now} (empty when the environments agree). */
    public List<String> differences(Environment now) {
        List<String> d = new ArrayList<>();
        diff(d, "minitron4j", minitron4j, now.minitron4j);
        diff(d, "djl", djl, now.djl);
        diff(d, "engine", engine, now.engine);
        diff(d, "java", java, now.java);
        diff(d, "os", os, now.os);
        diff(d, "cores", String.valueOf(cores), String.valueOf(now.cores));
        diff(d, "threads", threads, now.threads);
        diff(d, "interop threads", interopThreads, now.interopThreads);
        diff(d, "device", device, now.device);
        return d;
    }

    private static void diff(List<String> out, String name, String was, String now) {
        if (!was.equals(now)) {
            out.add(name + ": " + was + " → " + now);
        }
    }

    private static String version() {
        String v = Environment.class.getPackage() == null ? null : Environment.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0";
    }
}
