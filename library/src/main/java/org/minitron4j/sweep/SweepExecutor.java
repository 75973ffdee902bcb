package org.minitron4j.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.minitron4j.InvalidInputException;

/**
 * Where a sweep's steps run. Every executor runs the same {@link StepTask}s the same way (in a JVM that holds this
 * library, recorded as run records); they differ in how many run at once and on which machines:
 *
 * <ul>
 *   <li>{@link #sequential()}: one after another in this process (the default; a notebook needs nothing else);</li>
 *   <li>{@link #local(int)}: {@code n} at once in this process, each with its share of the cores;</li>
 *   <li>{@link #spark(String)}: as Apache Spark tasks, {@code local[n]} in this process or on a cluster
 *       ({@code spark://…}, {@code yarn}, {@code k8s://…}); Spark must be on the class path.</li>
 * </ul>
 */
public interface SweepExecutor extends AutoCloseable {
    /** Runs independent tasks and returns their outcomes in the same order; a failing task does not stop the others. */
    List<StepOutcome> run(List<StepTask> tasks);

    /** What and where, e.g. "local, 2 arms at once". */
    String describe();

    /** PyTorch threads per step when the sweep does not set them (0: leave the process's). */
    int defaultThreads();

    /** Releases what the executor holds (Spark's context). */
    @Override
    default void close() {
    }

    /** One step after another, with the process's PyTorch threads. */
    static SweepExecutor sequential() {
        return new Local(1, true);
    }

    /** {@code parallel} steps at once in this process, each with {@code cores / parallel} PyTorch threads (at least 1). */
    static SweepExecutor local(int parallel) {
        if (parallel < 1) {
            throw new InvalidInputException("parallel must be at least 1, got " + parallel);
        }
        return new Local(parallel, false);
    }

    /**
     * Spark tasks on {@code master} ({@code local[2]}, {@code spark://host:7077}, {@code yarn}, {@code k8s://…}): one
     * task per step. Inputs and the sweep's folder must be on a path every executor sees.
     *
     * @throws InvalidInputException when Spark is not on the class path, or its context does not start
     */
    static SweepExecutor spark(String master) {
        try {
            Class.forName("org.apache.spark.api.java.JavaSparkContext", false, SweepExecutor.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new InvalidInputException("the Spark executor needs Apache Spark on the class path: `./minitron4j sweep"
                    + "` adds library/target/spark (built by mvn package); a notebook uses `%use minitron4j-spark`");
        }
        return new SparkExecutor(master);
    }

    /** The executor named on the command line: sequential, local (with {@code parallel}) or spark (with {@code master}). */
    static SweepExecutor named(String name, int parallel, String master) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "sequential" -> sequential();
            case "local" -> local(parallel);
            case "spark" -> spark(master);
            default -> throw new InvalidInputException("executor '" + name + "': expected sequential, local or spark");
        };
    }

    /**
     * {@link #local(int)} and {@link #sequential()}: worker threads of this process. Steps run on a worker even when
     * one at a time, never on the caller's thread, so each step claims its run folder and sets its PyTorch threads as
     * it would on any executor.
     */
    final class Local implements SweepExecutor {
        private final int parallel;
        private final boolean sequential;

        Local(int parallel, boolean sequential) {
            this.parallel = parallel;
            this.sequential = sequential;
        }

        @Override
        public List<StepOutcome> run(List<StepTask> tasks) {
            if (tasks.isEmpty()) {
                return List.of();
            }
            AtomicInteger workers = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, tasks.size()), r -> {
                Thread t = new Thread(r, "sweep-worker-" + workers.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<StepOutcome>> futures = new ArrayList<>();
                for (StepTask t : tasks) {
                    futures.add(pool.submit(() -> StepRunner.run(t, sequential ? "sequential"
                            : Thread.currentThread().getName().replace("sweep-", ""))));
                }
                List<StepOutcome> out = new ArrayList<>();
                for (Future<StepOutcome> f : futures) {
                    out.add(f.get());
                }
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the sweep's steps ran", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("a sweep worker failed: " + e.getCause(), e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }

        @Override
        public String describe() {
            return sequential ? "sequential" : "local, " + parallel + " at once";
        }

        @Override
        public int defaultThreads() {
            return sequential ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / parallel);
        }
    }
}
