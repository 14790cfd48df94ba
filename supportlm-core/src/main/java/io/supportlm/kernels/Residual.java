package io.supportlm.kernels;

import jdk.incubator.vector.FloatVector;

/**
 * Element-wise sum of two streams, {@code out = a + b} (a residual connection, or adding position
 * embeddings). Backward passes the gradient to both: {@code dA += dOut, dB += dOut}.
 */
public final class Residual {
    private Residual() {}

    /** out[i] = a[i] + b[i] for i in [0, n); out may alias a or b. */
    public static void forward(float[] out, int outOff, float[] a, int aOff, float[] b, int bOff, int n) {
        Work.elementwise(n, (from, to) -> {
            int i = from;
            if (Simd.ENABLED) {
                for (; i + Simd.LANES <= to; i += Simd.LANES) {
                    FloatVector.fromArray(Simd.F, a, aOff + i).add(FloatVector.fromArray(Simd.F, b, bOff + i))
                            .intoArray(out, outOff + i);
                }
            }
            for (; i < to; i++) {
                out[outOff + i] = a[aOff + i] + b[bOff + i];
            }
        });
    }

    /** dA[i] += dOut[i] and dB[i] += dOut[i]; either gradient may be null. */
    public static void backward(float[] dA, int dAOff, float[] dB, int dBOff, float[] dOut, int dOutOff, int n) {
        if (dA != null) {
            forward(dA, dAOff, dA, dAOff, dOut, dOutOff, n);
        }
        if (dB != null) {
            forward(dB, dBOff, dB, dBOff, dOut, dOutOff, n);
        }
    }
}
