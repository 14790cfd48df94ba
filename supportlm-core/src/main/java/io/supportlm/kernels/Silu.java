package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * SiLU (swish): {@code y = x σ(x)}, {@code σ(x) = 1 / (1 + e^{−x})};
 * {@code dy/dx = σ(x) (1 + x (1 − σ(x)))}. Nothing is saved: backward reads the input.
 * {@link SwiGlu} reuses {@link #sigmoid}.
 */
public final class Silu {
    private Silu() {}

    /** out[i] = silu(inp[i]). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, int n) {
        Work.checkRange("silu out", out, outOff, n);
        Work.checkRange("silu inp", inp, inpOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, inp, inpOff, from, to);
            } else {
                forwardRange(out, outOff, inp, inpOff, from, to);
            }
        });
    }

    /** dInp[i] += dOut[i] · silu'(inp[i]). */
    public static void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int n) {
        Work.checkRange("silu dInp", dInp, dInpOff, n);
        Work.checkRange("silu dOut", dOut, dOutOff, n);
        Work.checkRange("silu inp", inp, inpOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                backwardVector(dInp, dInpOff, dOut, dOutOff, inp, inpOff, from, to);
            } else {
                backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, from, to);
            }
        });
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static void forwardScalar(float[] out, int outOff, float[] inp, int inpOff, int n) {
        forwardRange(out, outOff, inp, inpOff, 0, n);
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int n) {
        backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, 0, n);
    }

    /** σ(x); e^{−x} overflowing to infinity for x &lt; −88 gives the correct limit 0. */
    static float sigmoid(float x) {
        return 1 / (1 + (float) Math.exp(-x));
    }

    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(F, 1f).div(Simd.exp(x.neg()).add(1f));
    }

    /** silu'(x) given s = σ(x). */
    static float derivative(float x, float s) {
        return s * Math.fma(x, 1 - s, 1f);
    }

    static FloatVector derivative(FloatVector x, FloatVector s) {
        return s.mul(x.fma(s.neg().add(1f), FloatVector.broadcast(F, 1f)));
    }

    private static void forwardVector(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector x = FloatVector.fromArray(F, inp, inpOff + i);
            x.mul(sigmoid(x)).intoArray(out, outOff + i);
        }
        forwardRange(out, outOff, inp, inpOff, i, to);
    }

    private static void forwardRange(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = inp[inpOff + i];
            out[outOff + i] = x * sigmoid(x);
        }
    }

    private static void backwardVector(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                       int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector x = FloatVector.fromArray(F, inp, inpOff + i);
            FloatVector grad = derivative(x, sigmoid(x));
            FloatVector d = FloatVector.fromArray(F, dOut, dOutOff + i);
            d.fma(grad, FloatVector.fromArray(F, dInp, dInpOff + i)).intoArray(dInp, dInpOff + i);
        }
        backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, i, to);
    }

    private static void backwardRange(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                      int from, int to) {
        for (int i = from; i < to; i++) {
            float x = inp[inpOff + i];
            float grad = derivative(x, sigmoid(x));
            dInp[dInpOff + i] = Math.fma(dOut[dOutOff + i], grad, dInp[dInpOff + i]);
        }
    }
}
