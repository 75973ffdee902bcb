package org.minitron4j.distill;

/**
 * How the intermediate-state loss L_is is weighed against the logit loss (and the CLM loss).
 * <ul>
 *   <li>{@link #FIXED}: L = w_clm·L_CLM + L_logits + α·L_is with a constant α.</li>
 *   <li>{@link #DYNAMIC} (the paper): the same with α = L_logits / L_is recomputed every step under stop-gradient, so
 *       both terms have the same magnitude.</li>
 *   <li>{@link #BALANCER} (modelopt's production balancer): I = mean of the pair losses, rescaled to the logit loss
 *       (I·sg(L_logits / I)); kd = L_logits + I_s. Without CLM the total is kd; with CLM it is
 *       w_clm·L_CLM + kd·sg(L_CLM / kd), i.e. kd rescaled to the LM loss magnitude.</li>
 * </ul>
 */
public enum LossWeighting { FIXED, DYNAMIC, BALANCER }
