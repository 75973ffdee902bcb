package org.minitron4j.prune;

import org.minitron4j.importance.ImportanceRanking;
import org.minitron4j.model.Model;
import org.minitron4j.model.ModelConfig;
import org.minitron4j.model.WeightNames;

/**
 * A data-free ranking from weight norms, for when no calibration scores exist (a baseline, not the paper's method):
 * a head scores the L2 norm of its o_proj input columns, a neuron the L2 norm of its down_proj column, a hidden channel
 * the L2 norm of its embedding column, and a layer the Frobenius norm of what it writes to the residual stream (o_proj
 * and down_proj weights together). Scores are computed once, at construction.
 */
public final class WeightMagnitudeRanking implements ImportanceRanking {
    private final double[][] heads, neurons;
    private final double[] channels, layers;

    private WeightMagnitudeRanking(Model model) {
        ModelConfig c = model.config();
        int d = c.hiddenSize(), hd = c.headDim(), nh = c.numAttentionHeads(), ff = c.intermediateSize();
        heads = new double[c.numLayers()][];
        neurons = new double[c.numLayers()][];
        layers = new double[c.numLayers()];
        for (int l = 0; l < c.numLayers(); l++) {
            float[] o = model.weight(WeightNames.o(l) + ".weight").toFloatArray(); // (d, nh·hd)
            float[] down = model.weight(WeightNames.down(l) + ".weight").toFloatArray(); // (d, ff)
            double[] colO = columnSquares(o, d, nh * hd), colDown = columnSquares(down, d, ff);
            heads[l] = new double[nh];
            for (int h = 0; h < nh; h++) {
                double s = 0;
                for (int x = 0; x < hd; x++) {
                    s += colO[h * hd + x];
                }
                heads[l][h] = Math.sqrt(s);
            }
            neurons[l] = new double[ff];
            double total = 0;
            for (int n = 0; n < ff; n++) {
                neurons[l][n] = Math.sqrt(colDown[n]);
                total += colDown[n];
            }
            for (double s : colO) {
                total += s;
            }
            layers[l] = Math.sqrt(total);
        }
        double[] e = columnSquares(model.weight(WeightNames.EMBED).toFloatArray(), c.vocabSize(), d); // (V, d)
        channels = new double[d];
        for (int j = 0; j < d; j++) {
            channels[j] = Math.sqrt(e[j]);
        }
    }

    /** Scores of {@code model}'s current weights. */
    public static WeightMagnitudeRanking of(Model model) {
        return new WeightMagnitudeRanking(model);
    }

    /** Sum of squares of each column of a row-major [rows, cols] matrix. */
    private static double[] columnSquares(float[] w, int rows, int cols) {
        double[] s = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                double v = w[r * cols + j];
                s[j] += v * v;
            }
        }
        return s;
    }

    @Override
    public double[] headScores(int layer) {
        return heads[layer].clone();
    }

    @Override
    public double[] neuronScores(int layer) {
        return neurons[layer].clone();
    }

    @Override
    public double[] channelScores() {
        return channels.clone();
    }

    @Override
    public double[] layerScores() {
        return layers.clone();
    }
}
