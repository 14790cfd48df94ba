package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused softmax + cross-entropy over logits (N, V) with integer targets, PyTorch semantics
 * ({@code F.cross_entropy(logits, targets, weight=w, ignore_index=-100, reduction='mean')}):
 *
 * <pre>
 *   lse_i  = log Σ_j exp(z_ij)                   (computed as m + log Σ exp(z − m), m = max_j z_ij)
 *   loss_i = w[y_i] · (lse_i − z_{i,y_i})         (0 for rows whose target is the ignore index)
 *   loss   = Σ_i loss_i / Σ_i w[y_i]              (sums over non-ignored rows; w ≡ 1 without weights)
 *   dz_ij += dLoss · w[y_i] / Σ w · (softmax(z_i)_j − [j = y_i])
 * </pre>
 *
 * With label smoothing ε ({@code label_smoothing=ε}), the target is the mixture (1 − ε)·one-hot + ε/V·uniform,
 * again as PyTorch weighs it:
 *
 * <pre>
 *   loss_i = (1 − ε)·w[y_i]·(lse_i − z_{i,y_i}) + ε/V · Σ_j w[j]·(lse_i − z_ij)
 *   dz_ij += dLoss / Σ w · (((1 − ε)·w[y_i] + ε/V·Σ_k w[k])·softmax(z_i)_j − (1 − ε)·w[y_i]·[j = y_i] − ε/V·w[j])
 * </pre>
 *
 * forward writes the per-row losses ({@code reduction='none'}) and saves lse per row; backward
 * recomputes the softmax from the logits and lse, so nothing of size N·V is saved. When every row
 * is ignored the mean is 0/0 = NaN, as in PyTorch, and backward adds nothing. Rows run in
 * parallel; the mean is summed in row order in double, so it is the same for any thread count.
 * {@code dLogits} must not be the {@code logits} array (gradients accumulate).
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** PyTorch's default ignore index. */
    public static final int IGNORE_INDEX = -100;

    /**
     * Per-row losses (N) and saved logsumexp (N) for logits (N·V); returns the mean loss.
     *
     * @param classWeights per-class weights (V), or {@code null} for unweighted
     */
    public static float forward(float[] losses, int lossesOff, float[] logsumexp, int lseOff, float[] logits,
                                int logitsOff, int[] targets, int targetsOff, float[] classWeights, int N, int V,
                                int ignoreIndex) {
        return forward(losses, lossesOff, logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex, 0f);
    }

    /** {@link #forward} with label smoothing {@code labelSmoothing} in [0, 1). */
    public static float forward(float[] losses, int lossesOff, float[] logsumexp, int lseOff, float[] logits,
                                int logitsOff, int[] targets, int targetsOff, float[] classWeights, int N, int V,
                                int ignoreIndex, float labelSmoothing) {
        checkSmoothing(labelSmoothing);
        Work.checkRange("cross-entropy losses", losses, lossesOff, N);
        double totalWeight = validate(logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex);
        Work.rows(N, V, (from, to) -> forwardRows(losses, lossesOff, logsumexp, lseOff, logits, logitsOff, targets,
                targetsOff, classWeights, V, ignoreIndex, labelSmoothing, from, to, Simd.ENABLED));
        return mean(losses, lossesOff, N, totalWeight);
    }

    /** Accumulates dLogits (N·V) for the mean loss times {@code dLoss}. */
    public static void backward(float[] dLogits, int dLogitsOff, float dLoss, float[] logsumexp, int lseOff,
                                float[] logits, int logitsOff, int[] targets, int targetsOff, float[] classWeights,
                                int N, int V, int ignoreIndex) {
        backward(dLogits, dLogitsOff, dLoss, logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex, 0f);
    }

    /** {@link #backward} with label smoothing {@code labelSmoothing} in [0, 1). */
    public static void backward(float[] dLogits, int dLogitsOff, float dLoss, float[] logsumexp, int lseOff,
                                float[] logits, int logitsOff, int[] targets, int targetsOff, float[] classWeights,
                                int N, int V, int ignoreIndex, float labelSmoothing) {
        checkSmoothing(labelSmoothing);
        Work.checkRange("cross-entropy dLogits", dLogits, dLogitsOff, (long) N * V);
        double totalWeight = validate(logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex);
        if (totalWeight == 0) {
            return;
        }
        float perWeight = (float) (dLoss / totalWeight);
        Work.rows(N, V, (from, to) -> backwardRows(dLogits, dLogitsOff, perWeight, logsumexp, lseOff, logits,
                logitsOff, targets, targetsOff, classWeights, V, ignoreIndex, labelSmoothing, from, to, Simd.ENABLED));
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static float forwardScalar(float[] losses, int lossesOff, float[] logsumexp, int lseOff, float[] logits,
                                      int logitsOff, int[] targets, int targetsOff, float[] classWeights, int N, int V,
                                      int ignoreIndex, float labelSmoothing) {
        checkSmoothing(labelSmoothing);
        Work.checkRange("cross-entropy losses", losses, lossesOff, N);
        double totalWeight = validate(logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex);
        forwardRows(losses, lossesOff, logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, V,
                ignoreIndex, labelSmoothing, 0, N, false);
        return mean(losses, lossesOff, N, totalWeight);
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dLogits, int dLogitsOff, float dLoss, float[] logsumexp, int lseOff,
                                      float[] logits, int logitsOff, int[] targets, int targetsOff,
                                      float[] classWeights, int N, int V, int ignoreIndex, float labelSmoothing) {
        checkSmoothing(labelSmoothing);
        Work.checkRange("cross-entropy dLogits", dLogits, dLogitsOff, (long) N * V);
        double totalWeight = validate(logsumexp, lseOff, logits, logitsOff, targets, targetsOff, classWeights, N, V,
                ignoreIndex);
        if (totalWeight == 0) {
            return;
        }
        backwardRows(dLogits, dLogitsOff, (float) (dLoss / totalWeight), logsumexp, lseOff, logits, logitsOff,
                targets, targetsOff, classWeights, V, ignoreIndex, labelSmoothing, 0, N, false);
    }

    private static float mean(float[] losses, int lossesOff, int N, double totalWeight) {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum += losses[lossesOff + i];
        }
        return (float) (sum / totalWeight);
    }

    private static void forwardRows(float[] losses, int lossesOff, float[] logsumexp, int lseOff, float[] logits,
                                    int logitsOff, int[] targets, int targetsOff, float[] classWeights, int V,
                                    int ignoreIndex, float smoothing, int from, int to, boolean vector) {
        for (int row = from; row < to; row++) {
            int z0 = logitsOff + row * V;
            float lse = vector ? logSumExpVector(logits, z0, V) : logSumExpScalar(logits, z0, V);
            logsumexp[lseOff + row] = lse;
            int y = targets[targetsOff + row];
            if (y == ignoreIndex) {
                losses[lossesOff + row] = 0;
            } else {
                float w = classWeights == null ? 1f : classWeights[y];
                float loss = (1 - smoothing) * w * (lse - logits[z0 + y]);
                if (smoothing > 0) {
                    // Σ_j w[j]·(lse − z_j): the cross-entropy against the uniform target, weighted.
                    double uniform = 0;
                    for (int j = 0; j < V; j++) {
                        uniform += (classWeights == null ? 1f : classWeights[j]) * (lse - logits[z0 + j]);
                    }
                    loss += (float) (smoothing / V * uniform);
                }
                losses[lossesOff + row] = loss;
            }
        }
    }

    private static float logSumExpScalar(float[] z, int z0, int V) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < V; j++) {
            max = Math.max(max, z[z0 + j]);
        }
        float sum = 0;
        for (int j = 0; j < V; j++) {
            sum += (float) Math.exp(z[z0 + j] - max);
        }
        return max + (float) Math.log(sum);
    }

    private static float logSumExpVector(float[] z, int z0, int V) {
        int bound = F.loopBound(V);
        FloatVector maxV = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += LANES) {
            maxV = maxV.max(FloatVector.fromArray(F, z, z0 + j));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; j < V; j++) {
            max = Math.max(max, z[z0 + j]);
        }
        FloatVector sumV = FloatVector.zero(F);
        for (j = 0; j < bound; j += LANES) {
            sumV = sumV.add(Simd.exp(FloatVector.fromArray(F, z, z0 + j).sub(max)));
        }
        float sum = Simd.sum(sumV);
        for (; j < V; j++) {
            sum += (float) Math.exp(z[z0 + j] - max);
        }
        return max + (float) Math.log(sum);
    }

    private static void backwardRows(float[] dLogits, int dLogitsOff, float perWeight, float[] logsumexp, int lseOff,
                                     float[] logits, int logitsOff, int[] targets, int targetsOff,
                                     float[] classWeights, int V, int ignoreIndex, float smoothing, int from, int to,
                                     boolean vector) {
        double weightSum = classWeights == null ? V : 0;
        if (classWeights != null) {
            for (float w : classWeights) {
                weightSum += w;
            }
        }
        float uniformScale = perWeight * smoothing / V; // per unit of class weight
        for (int row = from; row < to; row++) {
            int y = targets[targetsOff + row];
            if (y == ignoreIndex) {
                continue;
            }
            float target = perWeight * (1 - smoothing) * (classWeights == null ? 1f : classWeights[y]);
            float scale = (float) (target + uniformScale * weightSum);
            float lse = logsumexp[lseOff + row];
            int z0 = logitsOff + row * V;
            int d0 = dLogitsOff + row * V;
            int j = 0;
            if (vector) {
                FloatVector scaleV = FloatVector.broadcast(F, scale);
                for (int bound = F.loopBound(V); j < bound; j += LANES) {
                    FloatVector p = Simd.exp(FloatVector.fromArray(F, logits, z0 + j).sub(lse));
                    p.fma(scaleV, FloatVector.fromArray(F, dLogits, d0 + j)).intoArray(dLogits, d0 + j);
                }
            }
            for (; j < V; j++) {
                float p = (float) Math.exp(logits[z0 + j] - lse);
                dLogits[d0 + j] = Math.fma(p, scale, dLogits[d0 + j]);
            }
            dLogits[d0 + y] -= target;
            if (smoothing > 0) {
                for (j = 0; j < V; j++) {
                    dLogits[d0 + j] -= uniformScale * (classWeights == null ? 1f : classWeights[j]);
                }
            }
        }
    }

    private static void checkSmoothing(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("cross-entropy: label smoothing must be in [0, 1), got " + labelSmoothing);
        }
    }

    /** Validates the shared buffers and the targets; returns Σ w[y_i] over non-ignored rows. */
    private static double validate(float[] logsumexp, int lseOff, float[] logits, int logitsOff, int[] targets,
                                   int targetsOff, float[] classWeights, int N, int V, int ignoreIndex) {
        if (N < 0 || V < 1) {
            throw new IllegalArgumentException("cross-entropy: needs N >= 0 rows of V >= 1 logits, got N=" + N + ", V=" + V);
        }
        Work.checkRange("cross-entropy logits", logits, logitsOff, (long) N * V);
        Work.checkRange("cross-entropy logsumexp", logsumexp, lseOff, N);
        Work.checkRange("cross-entropy targets", targets, targetsOff, N);
        if (classWeights != null && classWeights.length != V) {
            throw new IllegalArgumentException("cross-entropy: class weights have " + classWeights.length
                    + " entries, expected one per class (V=" + V + ")");
        }
        double total = 0;
        for (int i = 0; i < N; i++) {
            int y = targets[targetsOff + i];
            if (y == ignoreIndex) {
                continue;
            }
            if (y < 0 || y >= V) {
                throw new IllegalArgumentException("cross-entropy: target " + y + " at row " + i
                        + " is outside the classes 0.." + (V - 1) + " and is not the ignore index " + ignoreIndex);
            }
            total += classWeights == null ? 1.0 : classWeights[y];
        }
        return total;
    }
}
