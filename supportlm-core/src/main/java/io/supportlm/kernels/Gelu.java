package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;

/**
 * Exact GELU (PyTorch's {@code gelu} with {@code approximate='none'}, Hugging Face's "gelu"):
 *
 * <pre>
 *   y  = x · Φ(x),            Φ(x) = ½ erfc(−x/√2)   (the standard normal CDF)
 *   dy/dx = Φ(x) + x · φ(x),  φ(x) = e^{−x²/2} / √(2π)
 * </pre>
 *
 * Φ is computed as ½ erfc(−x/√2) rather than ½(1 + erf(x/√2)) so that it keeps its relative
 * precision for negative x. erfc comes from {@link Erf}. Nothing is saved: backward reads the input.
 */
public final class Gelu {
    private Gelu() {}

    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    /** out[i] = gelu(inp[i]) for i in [0, n). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, int n) {
        Work.checkRange("gelu out", out, outOff, n);
        Work.checkRange("gelu inp", inp, inpOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, inp, inpOff, from, to);
            } else {
                forwardRange(out, outOff, inp, inpOff, from, to);
            }
        });
    }

    /** dInp[i] += dOut[i] · gelu'(inp[i]). */
    public static void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int n) {
        Work.checkRange("gelu dInp", dInp, dInpOff, n);
        Work.checkRange("gelu dOut", dOut, dOutOff, n);
        Work.checkRange("gelu inp", inp, inpOff, n);
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

    /** Elements per block: Φ is computed for a block at a time into stack-local scratch arrays. */
    private static final int BLOCK = 512;

    private static void forwardVector(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        float[] t = new float[BLOCK], cdf = new float[BLOCK];
        for (int b = from; b < to; b += BLOCK) {
            int len = Math.min(BLOCK, to - b) / LANES * LANES;
            if (len == 0) {
                forwardRange(out, outOff, inp, inpOff, b, to);
                return;
            }
            halfErfcOfScaled(t, cdf, inp, inpOff + b, len);
            for (int i = 0; i < len; i += LANES) {
                FloatVector x = FloatVector.fromArray(F, inp, inpOff + b + i);
                x.mul(FloatVector.fromArray(F, cdf, i)).intoArray(out, outOff + b + i);
            }
            if (len < BLOCK && b + len < to) {
                forwardRange(out, outOff, inp, inpOff, b + len, to);
                return;
            }
        }
    }

    /**
     * cdf[0..len) = Φ(inp[off..off+len)) = ½ erfc(−x/√2), through {@link Erf#erfc(float[], int,
     * float[], int, int)}: a per-lane erfc inlined here would overflow C2's inlining budget (see there).
     */
    private static void halfErfcOfScaled(float[] t, float[] cdf, float[] inp, int off, int len) {
        for (int i = 0; i < len; i += LANES) {
            FloatVector.fromArray(F, inp, off + i).mul(-INV_SQRT2).intoArray(t, i);
        }
        Erf.erfc(t, 0, cdf, 0, len);
        for (int i = 0; i < len; i += LANES) {
            FloatVector.fromArray(F, cdf, i).mul(0.5f).intoArray(cdf, i);
        }
    }

    private static void forwardRange(float[] out, int outOff, float[] inp, int inpOff, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = inp[inpOff + i];
            float cdf = Erf.erfc(x * -INV_SQRT2) * 0.5f;
            out[outOff + i] = x * cdf;
        }
    }

    private static void backwardVector(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                       int from, int to) {
        float[] t = new float[BLOCK], cdf = new float[BLOCK];
        for (int b = from; b < to; b += BLOCK) {
            int len = Math.min(BLOCK, to - b) / LANES * LANES;
            if (len == 0) {
                backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, b, to);
                return;
            }
            halfErfcOfScaled(t, cdf, inp, inpOff + b, len);
            for (int i = 0; i < len; i += LANES) {
                FloatVector x = FloatVector.fromArray(F, inp, inpOff + b + i);
                FloatVector pdf = Simd.exp(x.mul(x).mul(-0.5f)).mul(INV_SQRT_2PI);
                FloatVector grad = x.fma(pdf, FloatVector.fromArray(F, cdf, i));
                FloatVector d = FloatVector.fromArray(F, dOut, dOutOff + b + i);
                int at = dInpOff + b + i;
                d.fma(grad, FloatVector.fromArray(F, dInp, at)).intoArray(dInp, at);
            }
            if (len < BLOCK && b + len < to) {
                backwardRange(dInp, dInpOff, dOut, dOutOff, inp, inpOff, b + len, to);
                return;
            }
        }
    }

    private static void backwardRange(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff,
                                      int from, int to) {
        for (int i = from; i < to; i++) {
            float x = inp[inpOff + i];
            float cdf = Erf.erfc(x * -INV_SQRT2) * 0.5f;
            float pdf = (float) Math.exp(x * x * -0.5f) * INV_SQRT_2PI;
            float grad = Math.fma(x, pdf, cdf);
            dInp[dInpOff + i] = Math.fma(dOut[dOutOff + i], grad, dInp[dInpOff + i]);
        }
    }
}
