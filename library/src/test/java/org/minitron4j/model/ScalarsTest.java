package org.minitron4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalarsTest {
    @Test
    void aScalarSurvivesUntilTheBackwardPassEvenAfterTheJvmReusesFreedBuffers() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1, 2, 3});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = x.mul(Scalars.of(x, 3)).div(Scalars.of(x, 0.5)).sum(); // d/dx = 3 / 0.5 = 6
                // churn: free direct buffers and fill new ones with a value that would show up in the gradient
                for (int round = 0; round < 3; round++) {
                    List<ByteBuffer> junk = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        ByteBuffer b = ByteBuffer.allocateDirect(4);
                        b.putFloat(0, 1e30f);
                        junk.add(b);
                    }
                    junk.clear();
                    System.gc();
                }
                gc.backward(y);
            }
            assertArrayEquals(new float[] {6, 6, 6}, x.getGradient().toFloatArray());
        }
    }
}
