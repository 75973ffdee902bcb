package org.minitron4j.distill;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.minitron4j.AtomicFiles;
import org.minitron4j.InvalidInputException;
import org.minitron4j.JsonMappers;
import org.minitron4j.model.Site;
import org.minitron4j.train.TrainConfig;

/**
 * Everything a distillation run minimises, plus its {@link TrainConfig}: immutable, validated once, built fluently from
 * {@link #defaults} or {@link #clmOnly}, and saved as JSON with every run so the run can be replayed.
 *
 * <p>Total loss (the paper): L = w_clm·L_CLM + L_logits + α·L_is, where
 * <ul>
 *   <li>L_logits = mean over tokens of the {@link LogitLoss} between softmax(z_t/τ) and softmax(z_s/τ), each token's
 *       divergence summed over the vocabulary (not averaged over it), times τ² when {@code temperatureSquared}
 *       (modelopt's HF loss does, its Megatron loss does not). With {@code topK} &gt; 0 both distributions are restricted
 *       to the teacher's top-k tokens of that position and renormalised over them (MSE and cosine use those k logits);
 *   <li>L_is = sum over layer pairs of the {@link HiddenLoss} between LayerNorm(h_s)·Wᵀ + b and LayerNorm(h_t)
 *       (LayerNorm without affine; one learned projection W, b shared by all pairs, identity when the widths agree),
 *       taken at {@code intermediateSite} (a layer index equal to the depth means the final norm output);
 *   <li>α and the balancing follow {@link LossWeighting}.
 * </ul>
 *
 * @param clmWeight w_clm; 0 turns the CLM loss off (2408.11796 distils with the logit loss alone)
 * @param alpha     α for {@link LossWeighting#FIXED}; 1 with the other weightings, which compute their own
 */
@RecordBuilder
public record DistillationConfig(
        LogitLoss logitLoss,
        double temperature,
        boolean temperatureSquared,
        double jsdBeta,
        int topK,
        LayerMapping intermediate,
        Site intermediateSite,
        HiddenLoss intermediateLoss,
        double clmWeight,
        LossWeighting weighting,
        double alpha,
        TrainConfig train) implements DistillationConfigBuilder.With {


    public DistillationConfig {
        if (logitLoss == null || intermediate == null || intermediateSite == null || intermediateLoss == null
                || weighting == null || train == null) {
            throw new InvalidInputException("distillation config: logitLoss, intermediate, intermediateSite, "
                    + "intermediateLoss, weighting and train must all be set");
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new InvalidInputException("temperature must be > 0, got " + temperature);
        }
        if (!(jsdBeta > 0 && jsdBeta < 1)) {
            throw new InvalidInputException("jsdBeta must be in (0, 1), got " + jsdBeta);
        }
        if (topK < 0) {
            throw new InvalidInputException("topK must be >= 0 (0 = full vocabulary), got " + topK);
        }
        if (!(clmWeight >= 0) || Double.isInfinite(clmWeight)) {
            throw new InvalidInputException("clmWeight must be >= 0 (0 = off), got " + clmWeight);
        }
        if (!(alpha >= 0) || Double.isInfinite(alpha)) {
            throw new InvalidInputException("alpha must be >= 0, got " + alpha);
        }
        if (intermediateSite != Site.BLOCK_INPUT && intermediateSite != Site.BLOCK_OUTPUT
                && intermediateSite != Site.ATTN_NORM && intermediateSite != Site.MLP_NORM) {
            throw new InvalidInputException("intermediateSite must be BLOCK_INPUT, BLOCK_OUTPUT, ATTN_NORM or MLP_NORM "
                    + "(hidden-width states), got " + intermediateSite);
        }
        if (logitLoss == LogitLoss.NONE && intermediate.isEmpty() && clmWeight == 0) {
            throw new InvalidInputException("nothing to minimise: no logit loss, no intermediate pairs and clmWeight 0");
        }
        if (weighting != LossWeighting.FIXED && alpha != 1.0) {
            throw new InvalidInputException("alpha " + alpha + " applies to FIXED weighting only, and " + weighting
                    + " weighting computes its own; use withFixedAlpha(" + alpha + ") or leave alpha at 1");
        }
        if (logitLoss == LogitLoss.NONE && !intermediate.isEmpty() && weighting != LossWeighting.FIXED) {
            throw new InvalidInputException(weighting + " weighting scales L_is to the logit loss, which is off; "
                    + "use a fixed alpha");
        }
    }

    /**
     * The paper's setting: forward KLD at τ = 1 (τ² on, a no-op at τ = 1), full vocabulary, no intermediate pairs
     * (cosine at block outputs when added), CLM off, dynamic α.
     */
    public static DistillationConfig defaults(TrainConfig train) {
        return new DistillationConfig(LogitLoss.FORWARD_KLD, 1.0, true, 0.5, 0, LayerMapping.none(), Site.BLOCK_OUTPUT,
                HiddenLoss.COSINE, 0.0, LossWeighting.DYNAMIC, 1.0, train);
    }

    /** The CLM-only baseline: L = L_CLM, no teacher needed. */
    public static DistillationConfig clmOnly(TrainConfig train) {
        return new DistillationConfig(LogitLoss.NONE, 1.0, true, 0.5, 0, LayerMapping.none(), Site.BLOCK_OUTPUT,
                HiddenLoss.COSINE, 1.0, LossWeighting.DYNAMIC, 1.0, train);
    }

    /** Whether the run needs a teacher model (a logit loss or intermediate pairs). */
    public boolean needsTeacher() {
        return logitLoss != LogitLoss.NONE || !intermediate.isEmpty();
    }

    /** Temperature τ and whether the logit loss is multiplied by τ². */
    public DistillationConfig withTemperature(double tau, boolean squared) {
        return with(b -> b.temperature(tau).temperatureSquared(squared));
    }

    public DistillationConfig withIntermediate(LayerMapping mapping, HiddenLoss loss) {
        return with(b -> b.intermediate(mapping).intermediateLoss(loss));
    }

    /** {@link LossWeighting#FIXED} weighting with a constant α for L_is. */
    public DistillationConfig withFixedAlpha(double a) {
        return with(b -> b.weighting(LossWeighting.FIXED).alpha(a));
    }

    /** Pretty-printed JSON; {@link #fromJson} reads it back to an equal config. */
    public String toJson() {
        try {
            return JsonMappers.indented().writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a config; unknown keys and invalid values are rejected with a message naming them. */
    public static DistillationConfig fromJson(String json) {
        try {
            rejectUnknownKeys(JsonMappers.strict().readTree(json), DistillationConfig.class, "");
            return JsonMappers.strict().readValue(json, DistillationConfig.class);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            Throwable c = e.getCause();
            if (c instanceof InvalidInputException) {
                throw (InvalidInputException) c;
            }
            throw new InvalidInputException("invalid distillation config: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidInputException("invalid distillation config JSON: " + e.getMessage());
        }
    }

    /** Names the first key that is not a component of the record (recursively into nested records). */
    private static void rejectUnknownKeys(com.fasterxml.jackson.databind.JsonNode node, Class<?> type, String path) {
        if (node == null || !node.isObject() || !type.isRecord()) {
            return;
        }
        java.util.Map<String, Class<?>> components = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.RecordComponent c : type.getRecordComponents()) {
            components.put(c.getName(), c.getType());
        }
        for (java.util.Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!components.containsKey(key)) {
                throw new InvalidInputException("unknown key '" + path + key + "' in distillation config (known: "
                        + String.join(", ", components.keySet()) + ")");
            }
            rejectUnknownKeys(node.get(key), components.get(key), path + key + ".");
        }
    }

    /** Writes {@link #toJson()} atomically to {@code file}. */
    public void save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, tmp -> Files.writeString(tmp, toJson()));
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    public static DistillationConfig load(Path file) {
        try {
            return fromJson(Files.readString(file));
        } catch (IOException e) {
            throw new InvalidInputException("cannot read distillation config " + file + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        String logits = logitLoss == LogitLoss.NONE ? "no logit loss" : String.format(Locale.ROOT, "%s τ=%.3g%s%s%s",
                logitLoss, temperature, temperatureSquared ? " (×τ²)" : "", logitLoss == LogitLoss.JSD ? " β=" + jsdBeta : "",
                topK > 0 ? " top-" + topK : "");
        String is = intermediate.isEmpty() ? "" : String.format(Locale.ROOT, ", intermediate %s %s at %s, %s", intermediate,
                intermediateLoss.name().toLowerCase(Locale.ROOT), intermediateSite,
                weighting == LossWeighting.FIXED ? "α=" + alpha : weighting.name().toLowerCase(Locale.ROOT) + " α");
        String clm = clmWeight > 0 ? String.format(Locale.ROOT, ", CLM ×%.3g", clmWeight) : "";
        return logits + is + clm + "; " + train;
    }
}
