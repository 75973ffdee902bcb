package org.minitron4j.experiment;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where a run ran: library, DJL and engine versions, Java, operating system, CPU, cores and PyTorch thread counts,
 * device. On CPU the same environment gives bit-identical numbers; a different thread count or engine build may change
 * the last bits (reduction order), and so does a CPU with another vector instruction set (libtorch and its MKL pick
 * their kernels by it: a record made with AVX2 replays on an AVX-512 machine to about 1e-5, not bit for bit), which a
 * replay reports as causes.
 *
 * @param minitron4j    this library's version
 * @param djl           DJL's version
 * @param engine        the engine DJL runs on, e.g. "PyTorch 2.7.1"
 * @param java          {@code java.version} and vendor
 * @param os            operating system name, version and architecture
 * @param cpu           the CPU's model and the vector instruction set libtorch's kernels use ({@link #thisCpu()});
 *                      empty in records made before it was recorded
 * @param cores         {@code Runtime.availableProcessors()}
 * @param threads       PyTorch intra-op threads ({@code ai.djl.pytorch.num_threads}, empty when unset)
 * @param interopThreads PyTorch inter-op threads ({@code ai.djl.pytorch.num_interop_threads})
 * @param device        the run's device option ("cpu", "gpu:0"), empty when the command has none
 */
public record Environment(String minitron4j, String djl, String engine, String java, String os, String cpu, int cores,
                          String threads, String interopThreads, String device) {
    /** This library's version (the jar manifest's Implementation-Version, else the source tree's). */
    public static final String VERSION = version();

    public Environment {
        Objects.requireNonNull(minitron4j, "minitron4j");
        Objects.requireNonNull(djl, "djl");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(os, "os");
        cpu = cpu == null ? "" : cpu;
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
                thisCpu(), Runtime.getRuntime().availableProcessors(), threads(e),
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
        diff(d, "cpu", cpu.isEmpty() ? "(not recorded)" : cpu, now.cpu);
        diff(d, "cores", String.valueOf(cores), String.valueOf(now.cores));
        diff(d, "threads", threads, now.threads);
        diff(d, "interop threads", interopThreads, now.interopThreads);
        diff(d, "device", device, now.device);
        return d;
    }

    /** Settings that make libtorch or MKL choose other kernels than the CPU's own, when set. */
    private static final List<String> KERNEL_SETTINGS = List.of("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS");

    /**
     * This machine's CPU as "model, instruction set", e.g. "Intel(R) Xeon(R) Processor, avx512": the set is the widest of
     * avx512 (AVX-512 F, BW, VL and DQ, as libtorch's AVX-512 kernels require), avx2 (with FMA) and "other"; followed by
     * any of {@link #KERNEL_SETTINGS} set in the environment. Read from /proc/cpuinfo; the architecture elsewhere.
     */
    static String thisCpu() {
        String model = System.getProperty("os.arch");
        String isa = "";
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            model = field(lines, "model name", model);
            isa = instructionSet(Set.copyOf(Arrays.asList(field(lines, "flags", "").split(" "))));
        } catch (IOException | SecurityException notLinux) {
            // the architecture alone
        }
        StringBuilder sb = new StringBuilder(model);
        if (!isa.isEmpty()) {
            sb.append(", ").append(isa);
        }
        for (String setting : KERNEL_SETTINGS) {
            String value = System.getenv(setting);
            if (value != null && !value.isBlank()) {
                sb.append(", ").append(setting).append('=').append(value.strip());
            }
        }
        return sb.toString();
    }

    /** The widest vector instruction set of {@code flags} (/proc/cpuinfo's) that libtorch's CPU kernels are built for. */
    static String instructionSet(Set<String> flags) {
        if (flags.containsAll(List.of("avx512f", "avx512bw", "avx512vl", "avx512dq"))) {
            return "avx512";
        }
        return flags.containsAll(List.of("avx2", "fma")) ? "avx2" : "other";
    }

    private static String field(List<String> cpuinfo, String name, String otherwise) {
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return otherwise;
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
