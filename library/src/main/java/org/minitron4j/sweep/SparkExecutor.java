package org.minitron4j.sweep;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.minitron4j.EngineThreads;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JvmOptions;
import org.minitron4j.NativeMemory;
import org.minitron4j.experiment.Runs;

/**
 * {@link SweepExecutor#spark}: each step is one Spark task; the driver (this process) collects the outcomes. With
 * {@code local[n]} the tasks run in this JVM on {@code n} threads; on a cluster this library's jars are shipped to the
 * executors, which must reach the sweep's inputs and folder on a shared path and have libtorch (DJL's offline cache
 * or {@code PYTORCH_LIBRARY_PATH}). A task is not retried: a failing step is reported in its arms' rows.
 */
final class SparkExecutor implements SweepExecutor {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");
    private final String master;
    private final JavaSparkContext context;

    SparkExecutor(String master) {
        this.master = master;
        for (String noisy : List.of("org.apache.spark", "org.sparkproject", "org.apache.hadoop", "io.netty")) {
            System.setProperty("org.slf4j.simpleLogger.log." + noisy, System.getProperty("org.slf4j.simpleLogger.log." + noisy, "warn"));
        }
        SparkConf conf = new SparkConf().setMaster(master).setAppName("minitron4j sweep")
                .set("spark.ui.enabled", "false").set("spark.task.maxFailures", "1");
        if (LOCAL.matcher(master).matches()) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        } else {
            conf.setJars(jars().toArray(String[]::new))
                    .setExecutorEnv(EngineThreads.SPIN_ENV, EngineThreads.SPIN_COUNT)
                    .set("spark.executor.extraJavaOptions", String.join(" ", JvmOptions.inherited()) + " -Dai.djl.offline=true");
        }
        try {
            context = new JavaSparkContext(conf);
        } catch (IllegalAccessError e) {
            throw new InvalidInputException("Spark cannot start on this JVM without the module openings in "
                    + "library/spark-jvm.options (java @library/spark-jvm.options …; ./minitron4j sweep passes them): " + e.getMessage());
        } catch (RuntimeException e) {
            throw new InvalidInputException("Spark master '" + master + "': the context did not start (" + e.getMessage() + ")");
        }
    }

    @Override
    public List<StepOutcome> run(List<StepTask> tasks) {
        if (tasks.isEmpty()) {
            return List.of();
        }
        return context.parallelize(tasks, tasks.size()).map(new RunOnExecutor()).collect();
    }

    /** The function each task runs: this library's step runner, in the executor's JVM. */
    private static final class RunOnExecutor implements Function<StepTask, StepOutcome> {
        @Override
        public StepOutcome call(StepTask task) {
            SparkEnv env = SparkEnv.get();
            NativeMemory.configure(); // the executor JVM's malloc settings, as the launcher's JVM has them
            return StepRunner.run(task, "spark executor " + (env == null ? "?" : env.executorId()));
        }
    }

    @Override
    public String describe() {
        return "spark " + master;
    }

    /** {@code cores / n} for {@code local[n]} (1 per task elsewhere: Spark gives each task spark.task.cpus cores). */
    @Override
    public int defaultThreads() {
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) {
            return context.getConf().getInt("spark.task.cpus", 1);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int slots = m.group(1) == null ? 1 : m.group(1).equals("*") ? cores : Integer.parseInt(m.group(1));
        return Math.max(1, cores / Math.max(1, slots));
    }

    @Override
    public void close() {
        context.stop();
    }

    /** This library's jar and its dependencies, or this JVM's class path when the library runs from a classes folder. */
    private static List<String> jars() {
        List<Path> own = Runs.libraryClassPath();
        if (Files.isRegularFile(own.get(0))) {
            return own.stream().map(Path::toString).toList();
        }
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.endsWith(".jar")).toList();
    }
}
