package org.minitron4j.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Activations recorded by one forward pass, keyed by site and layer. The arrays belong to the manager of the input
 * tokens, so they live exactly as long as the caller's scope.
 */
public final class Activations {
    /** A (site, layer) key. */
    public record Key(Site site, int layer) {
    }

    private final Map<Key, NDArray> arrays = new LinkedHashMap<>();

    void put(Site site, int layer, NDArray a) {
        arrays.put(new Key(site, layer), a);
    }

    /** The activation, or an exception naming what was not captured. */
    public NDArray get(Site site, int layer) {
        NDArray a = arrays.get(new Key(site, layer));
        if (a == null) {
            throw new IllegalArgumentException("activation " + site + " of layer " + layer + " was not captured");
        }
        return a;
    }

    public boolean contains(Site site, int layer) {
        return arrays.containsKey(new Key(site, layer));
    }

    public Map<Key, NDArray> all() {
        return Collections.unmodifiableMap(arrays);
    }
}
