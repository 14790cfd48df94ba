package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * GELU with the tanh approximation (PyTorch's {@code approximate='tanh'}, Hugging Face's
 * "gelu_pytorch_tanh" and GPT-2's "gelu_new"):
 *
 * <pre>
 *   u  = c (x + a x³),  c = √(2/π), a = 0.044715
 *   y  = ½ x (1 + tanh u)
 *   dy/dx = ½ (1 + tanh u) + ½ x (1 − tanh² u) · c (1 + 3a x²)
 * </pre>
 *
 * Nothing is saved: backward reads the input. {@link GeGlu} reuses {@link #value} and
 * {@link #derivative}.
 */
public final class GeluTanh {
    private GeluTanh() {}

    private static final float C = (float) Math.sqrt(2 / Math.PI);
    private static final float A = 0.044715f;

    /** out[i] = gelu_tanh(inp[i]). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, int n) {
        Work.checkRange("gelu_tanh out", out, outOff, n);
        Work.checkRange("gelu_tanh inp", inp, inpOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, inp, inpOff, from, to);
            } else {
                forwardRange(out, outOff, inp, inpOff, from, to);
            }
        });
    }

    /** dInp[i] += dOut[i] · gelu_tanh'(inp[i]). */
    public static void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int n) {
        Work.checkRange("gelu_tanh dInp", dInp, dInpOff, n);
        Work.checkRange("gelu_tanh dOut", dOut, dOutOff, n);
        Work.checkRange("gelu_tanh inp", inp, inpOff, n);
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

    /** gelu_tanh(x). */
    static float value(float x) {
        float th = (float) Math.tanh(C * Math.fma(A * x, x * x, x));
        return 0.5f * x * (1 + th);
    }

    /** gelu_tanh'(x). */
    static float derivative(float x) {
        float x2 = x * x;
        double u = C * Math.fma(A * x, x2, x);
        double th = Math.tanh(u);
        double q = Math.exp(-2 * Math.abs(u));
        double sech2 = 4 * q / ((1 + q) * (1 + q)); // 1 - tanh², without the cancellation near |tanh| = 1
        float du = C * Math.fma(3 * A, x2, 1f);
        return (float) (0.5 * (1 + th) + 0.5 * x * sech2 * du);
    }

    static FloatVector value(FloatVector x) {
        FloatVector th = Simd.tanh(x.mul(A).fma(x.mul(x), x).mul(C));
        return x.mul(0.5f).mul(th.add(1f));
    }

    static FloatVector derivative(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector u = x.mul(A).fma(x2, x).mul(C);
        FloatVector th = Simd.tanh(u);
        FloatVector q = Simd.exp(u.abs().mul(-2f));
        FloatVector onePlusQ = q.add(1f);
        FloatVector sech2 = q.mul(4f).div(onePlusQ.mul(onePlusQ)); // 1 - tanh², without the cancellation
        FloatVector du = x2.fma(3 * A, 1f).mul(C);
        return th.add(1f).mul(0.5f).add(x.mul(0.5f).mul(sech2).mul(du));
    }

    private static void forwardVector(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            value(FloatVector.fromArray(F, inp, inpOff + i)).intoArray(out, outOff + i);
        }
        forwardRange(out, outOff, inp, inpOff, i, to);
    }

    private static void forwardRange(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        for (int i = from; i < to; i++) {
            out[outOff + i] = value(inp[inpOff + i]);
        }
    }

    private static void backwardVector(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                       int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector grad = derivative(FloatVector.fromArray(F, inp, inpOff + i));
            FloatVector d = FloatVector.fromArray(F, dOut, dOutOff + i);
            d.fma(grad, FloatVector.fromArray(F, dInp, dInpOff + i)).intoArray(dInp, dInpOff + i);
        }
        backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, i, to);
    }

    private static void backwardRange(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                      int from, int to) {
        for (int i = from; i < to; i++) {
            dInp[dInpOff + i] = Math.fma(dOut[dOutOff + i], derivative(inp[inpOff + i]), dInp[dInpOff + i]);
        }
    }
}
