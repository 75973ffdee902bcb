package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

class NoGradTest {
    @Test
    void turnsGradModeOffAndRestoresWhatItFoundEvenWhenNested() throws Exception {
        // A fresh thread, as a notebook cell runs in: libtorch's thread-local grad mode starts on there.
        boolean[] seen = new boolean[4];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                JniUtils.setGradMode(true);
                try (NoGrad outer = NoGrad.enter()) {
                    seen[0] = JniUtils.isGradMode();
                    try (NoGrad inner = NoGrad.enter()) {
                        seen[1] = JniUtils.isGradMode();
                    }
                    seen[2] = JniUtils.isGradMode();
                }
                seen[3] = JniUtils.isGradMode();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        t.start();
        t.join();
        assertEquals(null, failure[0]);
        assertFalse(seen[0], "off inside");
        assertFalse(seen[1], "off inside a nested guard");
        assertFalse(seen[2], "closing the nested guard keeps the outer one's mode");
        assertTrue(seen[3], "restored to on after the outer guard");
    }
}
