package org.minitron4j.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Which activations a forward pass records: a set of {@link Site}s, optionally limited to some layers. {@link #none()}
 * records nothing and costs nothing.
 */
public record Capture(Set<Site> sites, @Nullable Set<Integer> layers) {
    public Capture {
        sites = Collections.unmodifiableSet(sites.isEmpty() ? EnumSet.noneOf(Site.class) : EnumSet.copyOf(sites));
        layers = layers == null ? null : Collections.unmodifiableSet(new TreeSet<>(layers));
    }

    private static final Capture NONE = new Capture(EnumSet.noneOf(Site.class), null);

    public static Capture none() {
        return NONE;
    }

    /** Records the given sites in every layer. */
    public static Capture of(Site... sites) {
        return new Capture(sites.length == 0 ? EnumSet.noneOf(Site.class) : EnumSet.of(sites[0], sites), null);
    }

    /** The same sites, only in the given layers. */
    public Capture inLayers(Set<Integer> layerIndices) {
        return new Capture(sites, layerIndices);
    }

    public boolean isEmpty() {
        return sites.isEmpty();
    }

    boolean wants(Site site, int layer) {
        return sites.contains(site) && (layers == null || layers.contains(layer));
    }
}
