package org.minitron4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnvironmentTest {
    private static Environment env(String cpu) {
        return new Environment("0.1.0", "0.36.0", "PyTorch 2.7.1", "17", "Linux x amd64", cpu, 2, "2", "1", "cpu");
    }

    @Test
    void instructionSetIsTheWidestThatLibtorchsKernelsUse() {
        assertEquals("avx512", Environment.instructionSet(Set.of("fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq")));
        // AVX-512 without DQ does not qualify for libtorch's AVX-512 kernels
        assertEquals("avx2", Environment.instructionSet(Set.of("fma", "avx2", "avx512f", "avx512bw", "avx512vl")));
        assertEquals("other", Environment.instructionSet(Set.of("avx2"))); // no FMA
        assertEquals("other", Environment.instructionSet(Set.of("")));
    }

    @Test
    void aReplayOnAnotherCpuNamesIt() {
        assertEquals(List.of("cpu: AMD EPYC, avx2 → Intel Xeon, avx512"),
                env("AMD EPYC, avx2").differences(env("Intel Xeon, avx512")));
        assertEquals(List.of(), env("AMD EPYC, avx2").differences(env("AMD EPYC, avx2")));
        // a record made before the CPU was recorded
        assertEquals(List.of("cpu: (not recorded) → Intel Xeon, avx512"), env("").differences(env("Intel Xeon, avx512")));
    }

    @Test
    void recordsWithoutACpuStillRead() throws Exception {
        String old = "{\"minitron4j\":\"0.1.0\",\"djl\":\"0.36.0\",\"engine\":\"PyTorch 2.7.1\",\"java\":\"17\","
                + "\"os\":\"Linux\",\"cores\":2,\"threads\":\"2\",\"interopThreads\":\"1\",\"device\":\"cpu\"}";
        assertEquals("", new ObjectMapper().readValue(old, Environment.class).cpu());
    }

    @Test
    void thisMachinesCpuIsDescribed() throws Exception {
        String cpu = Environment.thisCpu();
        assertFalse(cpu.isBlank());
        if (Files.isReadable(Path.of("/proc/cpuinfo"))) {
            assertTrue(cpu.matches(".+, (avx512|avx2|other)(, [A-Z_]+=.+)*"), cpu);
        }
    }
}
