package org.minitron4j.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.minitron4j.InvalidInputException;

/** Turns a user's device choice ("cpu", "gpu", "gpu:1") into a DJL {@link Device}, failing clearly when it is absent. */
public final class Devices {
    private Devices() {
    }

    public static Device parse(String name) {
        String n = name.trim().toLowerCase(java.util.Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.equals("gpu") || n.equals("cuda") || n.startsWith("gpu:") || n.startsWith("cuda:")) {
            int index = 0;
            int colon = n.indexOf(':');
            if (colon >= 0) {
                try {
                    index = Integer.parseInt(n.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("device '" + name + "': the GPU index must be a number");
                }
            }
            int gpus = Engine.getInstance().getGpuCount();
            if (index >= gpus) {
                throw new InvalidInputException("device '" + name + "' requested, but " + (gpus == 0
                        ? "no CUDA GPU is available to PyTorch (this build runs on CPU; set PYTORCH_FLAVOR=cu128 with a CUDA driver to use one)"
                        : "only " + gpus + " GPU(s) are available"));
            }
            return Device.gpu(index);
        }
        throw new InvalidInputException("unknown device '" + name + "' (use cpu, gpu or gpu:N)");
    }
}
