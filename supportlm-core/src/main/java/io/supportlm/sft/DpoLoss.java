package io.supportlm.sft;

import io.supportlm.sft.data.SftBatches;
import java.util.ArrayList;
import java.util.List;

/**
 * The sigmoid DPO loss (Rafailov et al., 2023; TRL's {@code loss_type="sigmoid"}) of preference
 * pairs, on a policy that is the base plus a LoRA adapter:
 *
 * <pre>
 *   π_c, π_r   = Σ log p(answer tokens) of chosen / rejected under the policy
 *   ref_c, ref_r = the same under the reference (the base, adapter off), computed once
 *   z = β · ((π_c − ref_c) − (π_r − ref_r))
 *   loss = −(1 − ε) · log σ(z) − ε · log σ(−z)          (ε: label smoothing, 0 by default)
 *   dloss/dz = σ(z) − (1 − ε);  dπ_c = β · dloss/dz;  dπ_r = −β · dloss/dz
 * </pre>
 *
 * A batch of n pairs has 2n rows: the chosen sequences (rows 0..n-1), then the rejected ones in
 * the same order (rows n..2n-1), as {@link SftBatches#preferencePairs} lays them out. The policy's log-probabilities are
 * the negated row losses of {@link CausalLmLoss}: one forward, the row losses, then the per-row
 * scales of the gradient and one backward (the LM head runs twice over the target rows, the
 * network once).
 */
public final class DpoLoss {
    private DpoLoss() {}

    /** Sums over the pairs of a batch: loss, reward margin z/β·β (the implicit reward gap), pairs with z &gt; 0. */
    public record Sums(double loss, double margin, double chosenReward, double rejectedReward, int correct, int pairs) {
        Sums plus(Sums o) {
            return new Sums(loss + o.loss, margin + o.margin, chosenReward + o.chosenReward, rejectedReward + o.rejectedReward,
                    correct + o.correct, pairs + o.pairs);
        }

        static Sums zero() {
            return new Sums(0, 0, 0, 0, 0, 0);
        }
    }

    /** The pairs, in order, as one batch of 2·n right-padded rows: every chosen sequence, then every rejected one. */
    public static SftBatch batch(List<PreferenceExample> pairs, int padId) {
        List<SftExample> rows = new ArrayList<>(2 * pairs.size());
        pairs.forEach(p -> rows.add(p.chosen()));
        pairs.forEach(p -> rows.add(p.rejected()));
        return SftBatches.inOrder(rows, padId);
    }

    /**
     * For pairs batched by {@link #batch} or {@link SftBatches#preferencePairs}: runs the policy, returns the loss sums and, when
     * {@code gradScale} is not 0, backpropagates {@code gradScale ·} the summed loss (1 / pairs of
     * the optimizer step for a mean). {@code refChosen}/{@code refRejected} are the reference
     * log-probabilities of these pairs.
     */
    public static Sums run(CausalLmLoss policy, SftBatch b, double[] refChosen, double[] refRejected, double beta,
                           double labelSmoothing, float gradScale) {
        int n = b.B() / 2;
        policy.forward(b);
        double[] rowLoss = policy.rowLosses(b, null);
        float[] scales = new float[b.B()];
        Sums s = Sums.zero();
        for (int i = 0; i < n; i++) {
            double chosen = -rowLoss[i] - refChosen[i];
            double rejected = -rowLoss[n + i] - refRejected[i];
            double z = beta * (chosen - rejected);
            double loss = -(1 - labelSmoothing) * logSigmoid(z) - labelSmoothing * logSigmoid(-z);
            double dz = sigmoid(z) - (1 - labelSmoothing);
            // the row losses are −π: d loss / d rowLoss_c = −β·dz, d loss / d rowLoss_r = +β·dz
            scales[i] = (float) (-beta * dz * gradScale);
            scales[n + i] = (float) (beta * dz * gradScale);
            s = s.plus(new Sums(loss, beta * (chosen - rejected), beta * chosen, beta * rejected, z > 0 ? 1 : 0, 1));
        }
        if (gradScale != 0f) {
            policy.rowLosses(b, scales);
        }
        return s;
    }

    /** log σ(z), stable for large |z|. */
    static double logSigmoid(double z) {
        return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
