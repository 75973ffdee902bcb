package org.minitron4j.prune;

import java.util.SplittableRandom;
import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.ModelConfig;

/** A ranking from arrays the test chooses (public for the search tests). */
public record FixedRanking(double[][] heads, double[][] neurons, double[] channels, double[] layers) implements ImportanceRanking {
    /** Distinct pseudo-random scores of the right lengths, so kept indices are neither a prefix nor a suffix. */
    public static FixedRanking random(ModelConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] h = new double[c.numLayers()][], n = new double[c.numLayers()][];
        for (int l = 0; l < c.numLayers(); l++) {
            h[l] = r.doubles(c.numAttentionHeads()).toArray();
            n[l] = r.doubles(c.intermediateSize()).toArray();
        }
        return new FixedRanking(h, n, r.doubles(c.hiddenSize()).toArray(), r.doubles(c.numLayers()).toArray());
    }

    FixedRanking withChannels(double[] ch) {
        return new FixedRanking(heads, neurons, ch, layers);
    }

    FixedRanking withHeads(int layer, double... s) {
        double[][] h = heads.clone();
        h[layer] = s;
        return new FixedRanking(h, neurons, channels, layers);
    }

    FixedRanking withLayers(double... s) {
        return new FixedRanking(heads, neurons, channels, s);
    }

    @Override public double[] headScores(int layer) { return heads[layer]; }
    @Override public double[] neuronScores(int layer) { return neurons[layer]; }
    @Override public double[] channelScores() { return channels; }
    @Override public double[] layerScores() { return layers; }
}
