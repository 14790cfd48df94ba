package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;

/**
 * AdamW with decoupled weight decay and bias correction, in the order of PyTorch's
 * {@code torch.optim.AdamW} (single-tensor path, step t ≥ 1):
 *
 * <pre>
 *   p  ← p · (1 − lr·wd)
 *   m  ← β1 m + (1 − β1) g
 *   v  ← β2 v + (1 − β2) g²
 *   p  ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 * </pre>
 *
 * Element-wise, so the result is the same for any thread count.
 */
public final class AdamW {
    private AdamW() {}

    /**
     * The step-independent hyperparameters; PyTorch's defaults are {@link #DEFAULTS}.
     *
     * Doubles, like PyTorch's Python floats: 1 − β is formed before rounding to f32, so 1 − 0.999
     * is 0.001 and not 1 − 0.999f.
     *
     * @param beta1 decay of the first moment, in [0, 1)
     * @param beta2 decay of the second moment, in [0, 1)
     * @param eps added to the denominator, &gt; 0
     * @param weightDecay decoupled decay coefficient, ≥ 0
     */
    public record Config(double beta1, double beta2, double eps, double weightDecay) {
        public static final Config DEFAULTS = new Config(0.9, 0.999, 1e-8, 0.01);

        public Config {
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("AdamW beta1 must be in [0, 1), got " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("AdamW beta2 must be in [0, 1), got " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("AdamW eps must be positive, got " + eps);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("AdamW weight decay must be non-negative, got " + weightDecay);
            }
        }
    }

    /** One update of n parameters with their gradients and moment buffers; {@code step} counts from 1. */
    public static void update(float[] params, int paramsOff, float[] m, int mOff, float[] v, int vOff, float[] grads,
                              int gradsOff, int n, double lr, int step, Config config) {
        Coefficients k = coefficients(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, n, lr, step, config);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                updateVector(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, k, from, to);
            } else {
                updateRange(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, k, from, to);
            }
        });
    }

    /** The scalar oracle of {@link #update}, single-threaded. */
    public static void updateScalar(float[] params, int paramsOff, float[] m, int mOff, float[] v, int vOff,
                                    float[] grads, int gradsOff, int n, double lr, int step, Config config) {
        Coefficients k = coefficients(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, n, lr, step, config);
        updateRange(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, k, 0, n);
    }

    /** The per-step scalars, computed once in double as PyTorch does on the host. */
    private record Coefficients(float decay, float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2,
                                float stepSize, float sqrtBias2, float eps) {}

    private static Coefficients coefficients(float[] params, int paramsOff, float[] m, int mOff, float[] v, int vOff,
                                             float[] grads, int gradsOff, int n, double lr, int step, Config c) {
        Work.checkRange("adamw params", params, paramsOff, n);
        Work.checkRange("adamw m", m, mOff, n);
        Work.checkRange("adamw v", v, vOff, n);
        Work.checkRange("adamw grads", grads, gradsOff, n);
        if (step < 1) {
            throw new IllegalArgumentException("AdamW step counts from 1, got " + step);
        }
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("AdamW learning rate must be finite and non-negative, got " + lr);
        }
        double bias1 = 1 - Math.pow(c.beta1(), step);
        double bias2 = 1 - Math.pow(c.beta2(), step);
        return new Coefficients((float) (1 - lr * c.weightDecay()), (float) c.beta1(), (float) (1 - c.beta1()),
                (float) c.beta2(), (float) (1 - c.beta2()), (float) (lr / bias1), (float) Math.sqrt(bias2),
                (float) c.eps());
    }

    private static void updateRange(float[] params, int paramsOff, float[] m, int mOff, float[] v, int vOff,
                                    float[] grads, int gradsOff, Coefficients k, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = grads[gradsOff + i];
            float mi = k.beta1() * m[mOff + i] + k.oneMinusBeta1() * g;
            float vi = k.beta2() * v[vOff + i] + k.oneMinusBeta2() * g * g;
            float denom = (float) Math.sqrt(vi) / k.sqrtBias2() + k.eps();
            float p = params[paramsOff + i] * k.decay();
            params[paramsOff + i] = p - k.stepSize() * (mi / denom);
            m[mOff + i] = mi;
            v[vOff + i] = vi;
        }
    }

    private static void updateVector(float[] params, int paramsOff, float[] m, int mOff, float[] v, int vOff,
                                     float[] grads, int gradsOff, Coefficients k, int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, grads, gradsOff + i);
            FloatVector mi = FloatVector.fromArray(F, m, mOff + i).mul(k.beta1()).add(g.mul(k.oneMinusBeta1()));
            FloatVector vi = FloatVector.fromArray(F, v, vOff + i).mul(k.beta2()).add(g.mul(k.oneMinusBeta2()).mul(g));
            FloatVector denom = vi.sqrt().div(k.sqrtBias2()).add(k.eps());
            FloatVector p = FloatVector.fromArray(F, params, paramsOff + i).mul(k.decay());
            p.sub(mi.div(denom).mul(k.stepSize())).intoArray(params, paramsOff + i);
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
        }
        updateRange(params, paramsOff, m, mOff, v, vOff, grads, gradsOff, k, i, to);
    }
}
