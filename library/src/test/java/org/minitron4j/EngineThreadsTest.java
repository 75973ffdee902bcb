package org.minitron4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class EngineThreadsTest {
    /** The launcher and the notebook kernel set the same short spin as Spark executors get (tests run in library/). */
    @Test
    void launcherAndKernelSetTheSameSpinCount() throws Exception {
        String spin = EngineThreads.SPIN_ENV;
        assertTrue(Files.readString(Path.of("..", "minitron4j")).contains("export " + spin + "=\"${" + spin + ":-"
                + EngineThreads.SPIN_COUNT + "}\""));
        assertTrue(Files.readString(Path.of("..", "notebooks", "run-notebooks.sh"))
                .contains("\"env\": {\"" + spin + "\": \"" + EngineThreads.SPIN_COUNT + "\"}"));
    }

    @Test
    void threadCountsParseOrNameTheVariable() {
        assertEquals(3, EngineThreads.parse(" 3 "));
        for (String bad : new String[] {"0", "-1", "two", ""}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> EngineThreads.parse(bad));
            assertTrue(e.getMessage().startsWith("MINITRON4J_THREADS='" + bad + "'"), e.getMessage());
        }
    }

    /** A busy child process is seen (this process's own CPU time is not counted). */
    @Test
    void anotherProcessSpinningIsSeenAsBusyCores() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/stat")));
        Process spin = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            Thread.sleep(200);
            double busy = EngineThreads.busyCoresOfOtherProcesses(500);
            assertTrue(busy > 0.7, "one spinning process: " + busy + " cores busy");
        } finally {
            spin.destroyForcibly().waitFor();
        }
    }

    @Test
    void ownWorkIsNotCountedAsOtherProcesses() throws Exception {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/stat")));
        double quiet = EngineThreads.busyCoresOfOtherProcesses(300);
        Assumptions.assumeTrue(quiet < 0.3, "the machine is busy already (" + quiet + " cores)");
        int n = Runtime.getRuntime().availableProcessors();
        Thread[] spinners = new Thread[n];
        for (int i = 0; i < n; i++) { // every core busy with this process
            spinners[i] = new Thread(() -> {
                long end = System.nanoTime() + 800_000_000L;
                double x = 0;
                while (System.nanoTime() < end) {
                    x += Math.sqrt(x + 1);
                }
            });
            spinners[i].start();
        }
        double busy = EngineThreads.busyCoresOfOtherProcesses(400);
        for (Thread t : spinners) {
            t.join();
        }
        assertTrue(busy < quiet + 0.5, "this process's " + n + " spinning threads were counted: " + busy + " cores");
    }
}
