package org.minitron4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Platform;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    @Test
    void setOnLinuxUnlessTheUserSetsMallocTunables() {
        assertTrue(NativeMemory.wanted(true, null));
        assertTrue(NativeMemory.wanted(true, "glibc.cpu.hwcaps=-AVX512F"));
        assertFalse(NativeMemory.wanted(true, "glibc.malloc.arena_max=1"));
        assertFalse(NativeMemory.wanted(false, null));
    }

    /** glibc takes both values (mallopt answers 1); a second call gives the first answer. */
    @Test
    void glibcTakesTheThresholds() {
        Assumptions.assumeTrue(Platform.isLinux() && NativeMemory.wanted(true, System.getenv("GLIBC_TUNABLES")));
        assertTrue(NativeMemory.configure());
        assertEquals(true, NativeMemory.configure());
    }
}
