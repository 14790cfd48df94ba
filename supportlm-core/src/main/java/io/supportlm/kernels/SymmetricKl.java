package io.supportlm.kernels;

/**
 * The symmetric Kullback–Leibler divergence between two rows of logits, R-Drop's consistency term
 * (Liang et al., "R-Drop: Regularized Dropout for Neural Networks", NeurIPS 2021): with
 * {@code p = softmax(a_i)}, {@code q = softmax(b_i)} and {@code d = log p − log q},
 *
 * <pre>
 *   loss_i = ½ (KL(p‖q) + KL(q‖p)) = ½ Σ_j (p_j − q_j) · d_j
 *   loss   = Σ_i loss_i / N
 *   da_ij += dLoss / N · ½ (p_j · (d_j − KL(p‖q)) + p_j − q_j)
 *   db_ij += dLoss / N · ½ (q_j · (−d_j − KL(q‖p)) + q_j − p_j)
 * </pre>
 *
 * (∂KL(p‖q)/∂a = p ⊙ (d − KL(p‖q)) through p's softmax; ∂KL(q‖p)/∂a = p − q through log p.)
 * Rows are short (one per classified text, V = the number of labels), so this runs in plain loops
 * with double accumulators, from log-probabilities (no log of an underflowed probability);
 * nothing is saved between forward and backward.
 */
public final class SymmetricKl {
    private SymmetricKl() {}

    /** Per-row divergences (N) of logits a (N·V) and b (N·V); returns their mean. */
    public static float forward(float[] losses, int lossesOff, float[] a, int aOff, float[] b, int bOff, int N, int V) {
        check(a, aOff, b, bOff, N, V);
        Work.checkRange("symmetric KL losses", losses, lossesOff, N);
        double[] logP = new double[V];
        double[] logQ = new double[V];
        double total = 0;
        for (int i = 0; i < N; i++) {
            logSoftmax(logP, a, aOff + i * V, V);
            logSoftmax(logQ, b, bOff + i * V, V);
            double loss = 0;
            for (int j = 0; j < V; j++) {
                loss += (Math.exp(logP[j]) - Math.exp(logQ[j])) * (logP[j] - logQ[j]);
            }
            losses[lossesOff + i] = (float) (0.5 * loss);
            total += 0.5 * loss;
        }
        return N == 0 ? 0f : (float) (total / N);
    }

    /** Accumulates dA and dB (N·V each; the same array at different offsets is fine) for the mean times {@code dLoss}. */
    public static void backward(float[] dA, int dAOff, float[] dB, int dBOff, float dLoss, float[] a, int aOff, float[] b, int bOff,
                                int N, int V) {
        check(a, aOff, b, bOff, N, V);
        Work.checkRange("symmetric KL dA", dA, dAOff, (long) N * V);
        Work.checkRange("symmetric KL dB", dB, dBOff, (long) N * V);
        double[] logP = new double[V];
        double[] logQ = new double[V];
        double scale = 0.5 * dLoss / N;
        for (int i = 0; i < N; i++) {
            logSoftmax(logP, a, aOff + i * V, V);
            logSoftmax(logQ, b, bOff + i * V, V);
            double klPq = 0, klQp = 0;
            for (int j = 0; j < V; j++) {
                double d = logP[j] - logQ[j];
                klPq += Math.exp(logP[j]) * d;
                klQp -= Math.exp(logQ[j]) * d;
            }
            for (int j = 0; j < V; j++) {
                double p = Math.exp(logP[j]), q = Math.exp(logQ[j]), d = logP[j] - logQ[j];
                dA[dAOff + i * V + j] += (float) (scale * (p * (d - klPq) + p - q));
                dB[dBOff + i * V + j] += (float) (scale * (q * (-d - klQp) + q - p));
            }
        }
    }

    /** out = log softmax(x[off, off + V)), as x − logsumexp(x) with the max subtracted first. */
    private static void logSoftmax(double[] out, float[] x, int off, int V) {
        double lse = logSumExp(x, off, V);
        for (int j = 0; j < V; j++) {
            out[j] = x[off + j] - lse;
        }
    }

    private static double logSumExp(float[] x, int off, int V) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < V; j++) {
            max = Math.max(max, x[off + j]);
        }
        double sum = 0;
        for (int j = 0; j < V; j++) {
            sum += Math.exp(x[off + j] - max);
        }
        return max + Math.log(sum);
    }

    private static void check(float[] a, int aOff, float[] b, int bOff, int N, int V) {
        if (N < 0 || V < 1) {
            throw new IllegalArgumentException("symmetric KL needs N ≥ 0 rows of V ≥ 1 logits, got N=" + N + ", V=" + V);
        }
        Work.checkRange("symmetric KL a", a, aOff, (long) N * V);
        Work.checkRange("symmetric KL b", b, bOff, (long) N * V);
    }
}
