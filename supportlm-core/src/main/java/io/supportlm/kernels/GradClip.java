package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Gradient clipping by global L2 norm, PyTorch's {@code clip_grad_norm_} semantics:
 *
 * <pre>
 *   total = √(Σ over all arrays Σ g²)
 *   coef  = maxNorm / (total + 1e-6);  if coef &lt; 1: every g ← g · coef
 * </pre>
 *
 * and the pre-clip norm is returned. One deliberate difference: when the norm is not finite
 * (an overflow or a NaN upstream) the gradients are left as they are, rather than all turned into
 * NaN, and the caller decides (usually: skip the step). The sum of squares runs in blocks of
 * {@value #BLOCK} elements in f32 lanes, each block added to a double total in a fixed order, so
 * the norm is accurate for large arrays and the same for every run.
 */
public final class GradClip {
    private GradClip() {}

    private static final int BLOCK = 4096;

    /** Scales all gradients down to norm {@code maxNorm} when they exceed it; returns the pre-clip norm. */
    public static float clip(List<float[]> grads, float maxNorm) {
        if (!(maxNorm > 0)) {
            throw new IllegalArgumentException("gradient clipping max norm must be positive, got " + maxNorm);
        }
        double total = norm(grads);
        if (!Double.isFinite(total)) {
            return (float) total;
        }
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            float c = (float) coef;
            for (float[] g : grads) {
                scale(g, c);
            }
        }
        return (float) total;
    }

    /** The global L2 norm of all gradients, in double. */
    public static double norm(List<float[]> grads) {
        double sum = 0;
        for (float[] g : grads) {
            sum += Simd.ENABLED ? sumOfSquaresVector(g) : sumOfSquaresScalar(g);
        }
        return Math.sqrt(sum);
    }

    /** The scalar oracle of {@link #norm}. */
    public static double normScalar(List<float[]> grads) {
        double sum = 0;
        for (float[] g : grads) {
            sum += sumOfSquaresScalar(g);
        }
        return Math.sqrt(sum);
    }

    private static double sumOfSquaresScalar(float[] g) {
        double sum = 0;
        for (int b = 0; b < g.length; b += BLOCK) {
            int end = Math.min(g.length, b + BLOCK);
            float s = 0;
            for (int i = b; i < end; i++) {
                s = Math.fma(g[i], g[i], s);
            }
            sum += s;
        }
        return sum;
    }

    private static double sumOfSquaresVector(float[] g) {
        double sum = 0;
        for (int b = 0; b < g.length; b += BLOCK) {
            int end = Math.min(g.length, b + BLOCK);
            FloatVector acc = FloatVector.zero(F);
            int i = b;
            for (; i + LANES <= end; i += LANES) {
                FloatVector x = FloatVector.fromArray(F, g, i);
                acc = x.fma(x, acc);
            }
            float s = Simd.sum(acc);
            for (; i < end; i++) {
                s = Math.fma(g[i], g[i], s);
            }
            sum += s;
        }
        return sum;
    }

    private static void scale(float[] g, float c) {
        int i = 0;
        if (Simd.ENABLED) {
            for (int bound = F.loopBound(g.length); i < bound; i += LANES) {
                FloatVector.fromArray(F, g, i).mul(c).intoArray(g, i);
            }
        }
        for (; i < g.length; i++) {
            g[i] *= c;
        }
    }
}
