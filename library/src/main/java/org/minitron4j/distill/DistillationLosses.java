package org.minitron4j.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.jspecify.annotations.Nullable;
import org.minitron4j.model.Scalars;

/**
 * The differentiable distillation losses as plain functions of arrays, so they can be checked against independent
 * formulas and finite differences. Every loss returns a scalar; teacher inputs are treated as constants.
 */
public final class DistillationLosses {
    private static final float NORM_EPS = 1e-5f;
    private static final float COS_EPS = 1e-12f;

    private DistillationLosses() {
    }

    /**
     * The logit loss of {@code config} (kind, τ, τ² switch, JSD β, top-k) between student and teacher logits [B, T, V]:
     * mean over the B·T tokens of the per-token divergence summed over the vocabulary (or the teacher's top-k).
     */
    public static NDArray logitLoss(NDArray student, NDArray teacher, DistillationConfig config) {
        return logitLoss(config.logitLoss(), student, teacher, config.temperature(), config.temperatureSquared(),
                config.jsdBeta(), config.topK());
    }

    /** {@link #logitLoss(NDArray, NDArray, DistillationConfig)} with the settings spelled out. */
    public static NDArray logitLoss(LogitLoss kind, NDArray student, NDArray teacher, double temperature,
                                    boolean temperatureSquared, double beta, int topK) {
        int v = student.getShape().dimension() - 1;
        int[] vocab = {v};
        // (B, T, V); x/1 is x, so τ = 1 (the default) divides nothing
        NDArray s = temperature == 1 ? student : student.div(Scalars.of(student, temperature));
        NDArray t = temperature == 1 ? teacher.stopGradient() : teacher.stopGradient().div((float) temperature);
        if (topK > 0 && topK < student.getShape().get(v)) {
            // (B, T, k): the teacher's k largest logits per position; both distributions renormalise over them
            NDArray idx = t.argSort(v, false).get(":, :, :" + topK).toType(DataType.INT64, false);
            s = s.gather(idx, v);
            t = t.gather(idx, v);
        }
        NDArray perToken; // (B, T)
        switch (kind) {
            case FORWARD_KLD: {
                NDArray ls = s.logSoftmax(v), lt = t.logSoftmax(v);
                perToken = lt.exp().mul(lt.sub(ls)).sum(vocab);
                break;
            }
            case REVERSE_KLD: {
                NDArray ls = s.logSoftmax(v), lt = t.logSoftmax(v);
                perToken = ls.exp().mul(ls.sub(lt)).sum(vocab);
                break;
            }
            case JSD: {
                NDArray ls = s.logSoftmax(v), lt = t.logSoftmax(v);
                // log m = logsumexp(log p + log β, log q + log(1−β)); the max shift carries no gradient
                NDArray a = lt.add((float) Math.log(beta)), b = ls.add((float) Math.log(1 - beta));
                NDArray mx = a.maximum(b).stopGradient();
                NDArray lm = a.sub(mx).exp().add(b.sub(mx).exp()).log().add(mx);
                perToken = lt.exp().mul(lt.sub(lm)).sum(vocab).mul(Scalars.of(lt, beta))
                        .add(ls.exp().mul(ls.sub(lm)).sum(vocab).mul(Scalars.of(ls, 1 - beta)));
                break;
            }
            case TVD:
                perToken = t.softmax(v).sub(s.softmax(v)).abs().sum(vocab).mul(Scalars.of(s, 0.5));
                break;
            case MSE:
                perToken = s.sub(t).square().sum(vocab);
                break;
            case COSINE:
                perToken = cosineDistance(s, t);
                break;
            default:
                throw new IllegalArgumentException("no logit loss for " + kind);
        }
        NDArray loss = perToken.mean();
        return temperatureSquared ? loss.mul(Scalars.of(loss, temperature * temperature)) : loss;
    }

    /** LayerNorm over the last axis without affine parameters (eps 1e-5): zero mean, unit variance per token. */
    public static NDArray layerNorm(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray xc = x.sub(x.mean(new int[] {last}, true));
        return xc.div(xc.square().mean(new int[] {last}, true).add(NORM_EPS).sqrt());
    }

    /**
     * The loss of one layer pair: {@code kind} between LayerNorm(student)·Wᵀ + b [B, T, d_t] and LayerNorm(teacher)
     * [B, T, d_t]. {@code weight} [d_t, d_s] and {@code bias} [d_t] are null for the identity (equal widths).
     */
    public static NDArray hiddenLoss(HiddenLoss kind, NDArray student, NDArray teacher, @Nullable NDArray weight,
                                     @Nullable NDArray bias) {
        NDArray s = layerNorm(student); // (B, T, d_s)
        if (weight != null) {
            s = s.matMul(weight.transpose()).add(bias); // (B, T, d_t)
        }
        NDArray t = layerNorm(teacher.stopGradient()); // (B, T, d_t)
        if (kind == HiddenLoss.COSINE) {
            return cosineDistance(s, t).mean();
        }
        return s.sub(t).square().mean();
    }

    /** 1 − cos(a, b) along the last axis: [..., n] → [...]. */
    static NDArray cosineDistance(NDArray a, NDArray b) {
        int[] last = {a.getShape().dimension() - 1};
        NDArray dot = a.mul(b).sum(last);
        NDArray norms = a.square().sum(last).mul(b.square().sum(last)).add(COS_EPS).sqrt();
        return dot.div(norms).neg().add(1f);
    }
}
