package org.minitron4j.importance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;
import org.minitron4j.model.ModelConfig;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

/**
 * One model's importance under one {@link Aggregation} and {@link MlpVariant}: the {@link ImportanceRanking} pruning
 * consumes, plus ordering helpers (GQA-aware for heads) and a Tablesaw table that saves and reloads, so pruning again
 * needs no recalibration. Layer scores default to block importance; {@link #withLayerScores} swaps in another depth
 * metric. Immutable; getters return copies.
 */
public final class ImportanceScores implements ImportanceRanking, HtmlRenderable {
    private final ModelConfig config;
    private final Aggregation aggregation;
    private final MlpVariant variant;
    private final double[][] heads; // [layers][heads]
    private final double[][] neurons; // [layers][ffn]
    private final double[] channels; // [hidden]
    private final double[] layers; // [layers]

    /** Validates every shape against {@code config}; arrays are copied. */
    public ImportanceScores(ModelConfig config, Aggregation aggregation, MlpVariant variant, double[][] heads,
                            double[][] neurons, double[] channels, double[] layers) {
        int nl = config.numLayers();
        check("head scores", heads.length, nl);
        check("neuron scores", neurons.length, nl);
        for (int l = 0; l < nl; l++) {
            check("head scores of layer " + l, heads[l].length, config.numAttentionHeads());
            check("neuron scores of layer " + l, neurons[l].length, config.intermediateSize());
        }
        check("channel scores", channels.length, config.hiddenSize());
        check("layer scores", layers.length, nl);
        this.config = config;
        this.aggregation = aggregation;
        this.variant = variant;
        this.heads = deepCopy(heads);
        this.neurons = deepCopy(neurons);
        this.channels = channels.clone();
        this.layers = layers.clone();
    }

    private static void check(String what, int got, int expected) {
        if (got != expected) {
            throw new InvalidInputException(what + ": " + got + " values, the model needs " + expected);
        }
    }

    private static double[][] deepCopy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i].clone();
        }
        return c;
    }

    public ModelConfig config() {
        return config;
    }

    public Aggregation aggregation() {
        return aggregation;
    }

    public MlpVariant variant() {
        return variant;
    }

    @Override
    public double[] headScores(int layer) {
        return heads[checkLayer(layer)].clone();
    }

    @Override
    public double[] neuronScores(int layer) {
        return neurons[checkLayer(layer)].clone();
    }

    @Override
    public double[] channelScores() {
        return channels.clone();
    }

    @Override
    public double[] layerScores() {
        return layers.clone();
    }

    /** A copy whose layer scores are {@code scores} (e.g. the LM-loss increase of {@link DepthMetrics}) [layers]. */
    public ImportanceScores withLayerScores(double[] scores) {
        return new ImportanceScores(config, aggregation, variant, heads, neurons, channels, scores);
    }

    private int checkLayer(int layer) {
        if (layer < 0 || layer >= config.numLayers()) {
            throw new InvalidInputException("layer " + layer + " does not exist (model has " + config.numLayers() + " layers)");
        }
        return layer;
    }

    /** Indices sorted by descending score (ties: lower index first): element 0 is the most important. */
    public static int[] descending(double[] scores) {
        return IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue).toArray();
    }

    /**
     * GQA-aware head order of {@code layer}: row g lists the query heads of KV group g (heads g·groupSize ..
     * g·groupSize+groupSize−1) by descending score, so pruning keeps the same number of query heads in every group.
     * [numKeyValueHeads][groupSize] of global head indices.
     */
    public int[][] headOrderWithinGroups(int layer) {
        double[] s = headScores(layer);
        int g = config.groupSize();
        int[][] out = new int[config.numKeyValueHeads()][];
        for (int group = 0; group < out.length; group++) {
            int[] local = descending(Arrays.copyOfRange(s, group * g, group * g + g));
            for (int i = 0; i < g; i++) {
                local[i] += group * g;
            }
            out[group] = local;
        }
        return out;
    }

    /**
     * Columns layer, component, index, score, aggregation; components head, neuron_&lt;variant&gt;, channel (layer −1)
     * and layer_bi (index = layer).
     */
    public Table table() {
        Rows rows = new Rows(aggregation);
        for (int l = 0; l < config.numLayers(); l++) {
            rows.add(l, "head", heads[l]);
            rows.add(l, variant.component(), neurons[l]);
        }
        rows.add(-1, "channel", channels);
        rows.addLayers("layer_bi", layers);
        return rows.table("importance");
    }

    /** Writes {@code scores.csv} ({@link #table()}), {@code scores.json} and {@code model_config.json} into {@code dir}. */
    public void save(Path dir) {
        ObjectMapper json = JsonMappers.indented();
        try {
            Files.createDirectories(dir);
            table().write().csv(dir.resolve("scores.csv").toFile());
            json.writeValue(dir.resolve("model_config.json").toFile(), config.toHuggingFace());
            ObjectNode o = json.createObjectNode();
            o.put("aggregation", aggregation.label());
            o.put("batch_agg", aggregation.batch().label());
            o.put("seq_agg", aggregation.sequence().label());
            o.put("mlp_variant", variant.label());
            o.put("layers", config.numLayers());
            o.put("heads", config.numAttentionHeads());
            o.put("kv_heads", config.numKeyValueHeads());
            o.put("intermediate_size", config.intermediateSize());
            o.put("hidden_size", config.hiddenSize());
            json.writeValue(dir.resolve("scores.json").toFile(), o);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write importance scores to " + dir, e);
        }
    }

    /** Reads what {@link #save} wrote. */
    public static ImportanceScores load(Path dir) {
        Path csv = dir.resolve("scores.csv"), meta = dir.resolve("scores.json");
        if (!Files.isRegularFile(csv) || !Files.isRegularFile(meta)) {
            throw new InvalidInputException(dir + ": scores.csv and scores.json not found (not an importance output folder?)");
        }
        try {
            JsonNode o = JsonMappers.shared().readTree(meta.toFile());
            ModelConfig config = ModelConfig.fromHuggingFace(dir.resolve("model_config.json"));
            Aggregation agg = Aggregation.parseLabel(o.get("aggregation").asText());
            MlpVariant variant = MlpVariant.parse(o.get("mlp_variant").asText());
            int nl = config.numLayers();
            double[][] heads = new double[nl][config.numAttentionHeads()], neurons = new double[nl][config.intermediateSize()];
            double[] channels = new double[config.hiddenSize()], layers = new double[nl];
            Table t = Table.read().usingOptions(CsvReadOptions.builder(csv.toFile()).columnTypes(new ColumnType[] {
                ColumnType.INTEGER, ColumnType.STRING, ColumnType.INTEGER, ColumnType.DOUBLE, ColumnType.STRING}));
            for (Row r : t) {
                int l = r.getInt("layer"), i = r.getInt("index");
                double s = r.getDouble("score");
                String c = r.getString("component");
                if (c.equals("head")) {
                    heads[l][i] = s;
                } else if (c.equals(variant.component())) {
                    neurons[l][i] = s;
                } else if (c.equals("channel")) {
                    channels[i] = s;
                } else if (c.equals("layer_bi")) {
                    layers[i] = s;
                }
            }
            return new ImportanceScores(config, agg, variant, heads, neurons, channels, layers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read importance scores from " + dir, e);
        }
    }

    /** Builds the long score table shared by {@link ImportanceScores#table} and {@link ActivationStats#table}. */
    static final class Rows {
        private final String agg;
        private final IntColumn layer = IntColumn.create("layer"), index = IntColumn.create("index");
        private final StringColumn component = StringColumn.create("component"), aggregation = StringColumn.create("aggregation");
        private final DoubleColumn score = DoubleColumn.create("score");

        Rows(Aggregation agg) {
            this.agg = agg.label();
        }

        void add(int l, String comp, double[] scores) {
            for (int i = 0; i < scores.length; i++) {
                layer.append(l);
                component.append(comp);
                index.append(i);
                score.append(scores[i]);
                aggregation.append(agg);
            }
        }

        /** One row per layer with index = layer. */
        void addLayers(String comp, double[] scores) {
            for (int i = 0; i < scores.length; i++) {
                layer.append(i);
                component.append(comp);
                index.append(i);
                score.append(scores[i]);
                aggregation.append(agg);
            }
        }

        Table table(String name) {
            return Table.create(name, layer, component, index, score, aggregation);
        }
    }

    /** Model, aggregation and variant, then the first indices of each ranking (layer 0's for heads and neurons). */
    @Override
    public String toHtml() {
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("model", config);
        rows.put("aggregation", aggregation.label());
        rows.put("mlp variant", variant.label());
        rows.put("layers, most important first", Fragments.text(descending(layers)));
        rows.put("channels, most important first", Fragments.text(descending(channels)));
        rows.put("heads of layer 0, most important first", Fragments.text(descending(heads[0])));
        rows.put("neurons of layer 0, most important first", Fragments.text(descending(neurons[0])));
        return Fragments.keyValues("ImportanceScores", rows);
    }
}
