package org.minitron4j;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * The JVM options a JVM that this one starts (a replay, a sweep's Spark executor) inherits from it: the JIT thresholds
 * of {@code library/jvm.options}, which the launcher, the notebook kernel and the tests start with, so that the child
 * runs its tensor glue as the parent does. Other options (heap, recordings, agents) are the child's own business.
 */
public final class JvmOptions {
    private JvmOptions() {
    }

    /** This JVM's {@code -XX:Tier…} options, in the order it was given them (none when it was started without them). */
    public static List<String> inherited() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("-XX:Tier"))
                .toList();
    }
}
