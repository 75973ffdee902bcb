package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of the positions already processed, per layer ([B, kv_heads, T_past, head_dim], after RoPE), so that
 * generation feeds one new token per step. Owns its arrays; close it (or its manager) when generation ends.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    public KvCache(NDManager parent, int numLayers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[numLayers];
        this.values = new NDArray[numLayers];
    }

    /** Positions already cached (the RoPE offset of the next token). */
    public long length() {
        return length;
    }

    /** Appends this step's k, v of a layer and returns the full k, v; the new length takes effect after the last layer. */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        NDArray fullK = keys[layer] == null ? k : keys[layer].concat(k, 2);
        NDArray fullV = values[layer] == null ? v : values[layer].concat(v, 2);
        fullK.attach(manager);
        fullV.attach(manager);
        if (keys[layer] != null) {
            keys[layer].close();
            values[layer].close();
        }
        keys[layer] = fullK;
        values[layer] = fullV;
        return new NDArray[] {fullK, fullV};
    }

    void advance(long tokens) {
        length += tokens;
    }

    @Override
    public void close() {
        manager.close();
    }
}
