package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;

/**
 * SwiGLU, the gated MLP activation of Llama, Qwen and Mistral:
 * {@code out = silu(gate) · up}, where {@code gate} and {@code up} are the outputs of
 * {@code gate_proj} and {@code up_proj}, two separate buffers of the same shape (N, I).
 *
 * <pre>
 *   dGate += dOut · up · σ(g) (1 + g (1 − σ(g)))
 *   dUp   += dOut · silu(g)
 * </pre>
 *
 * Nothing is saved: backward reads gate and up.
 */
public final class SwiGlu {
    private SwiGlu() {}

    /** out[i] = silu(gate[i]) · up[i] for i in [0, n). {@code out} may be {@code gate} or {@code up}. */
    public static void forward(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        Work.checkRange("swiglu out", out, outOff, n);
        Work.checkRange("swiglu gate", gate, gateOff, n);
        Work.checkRange("swiglu up", up, upOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, gate, gateOff, up, upOff, from, to);
            } else {
                forwardRange(out, outOff, gate, gateOff, up, upOff, from, to);
            }
        });
    }

    /** Accumulates dGate and dUp. */
    public static void backward(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                float[] gate, int gateOff, float[] up, int upOff, int n) {
        Work.checkRange("swiglu dGate", dGate, dGateOff, n);
        Work.checkRange("swiglu dUp", dUp, dUpOff, n);
        Work.checkRange("swiglu dOut", dOut, dOutOff, n);
        Work.checkRange("swiglu gate", gate, gateOff, n);
        Work.checkRange("swiglu up", up, upOff, n);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                backwardVector(dGate, dGateOff, dUp, dUpOff, dOut, dOutOff, gate, gateOff, up, upOff, from, to);
            } else {
                backwardRange(dGate, dGateOff, dUp, dUpOff, dOut, dOutOff, gate, gateOff, up, upOff, from, to);
            }
        });
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static void forwardScalar(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        forwardRange(out, outOff, gate, gateOff, up, upOff, 0, n);
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                      float[] gate, int gateOff, float[] up, int upOff, int n) {
        backwardRange(dGate, dGateOff, dUp, dUpOff, dOut, dOutOff, gate, gateOff, up, upOff, 0, n);
    }

    private static void forwardVector(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff,
                                      int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, gate, gateOff + i);
            FloatVector u = FloatVector.fromArray(F, up, upOff + i);
            g.mul(Silu.sigmoid(g)).mul(u).intoArray(out, outOff + i);
        }
        forwardRange(out, outOff, gate, gateOff, up, upOff, i, to);
    }

    private static void forwardRange(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff,
                                     int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[gateOff + i];
            out[outOff + i] = g * Silu.sigmoid(g) * up[upOff + i];
        }
    }

    private static void backwardVector(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                       float[] gate, int gateOff, float[] up, int upOff, int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, gate, gateOff + i);
            FloatVector u = FloatVector.fromArray(F, up, upOff + i);
            FloatVector d = FloatVector.fromArray(F, dOut, dOutOff + i);
            FloatVector s = Silu.sigmoid(g);
            d.mul(u).fma(Silu.derivative(g, s), FloatVector.fromArray(F, dGate, dGateOff + i))
                    .intoArray(dGate, dGateOff + i);
            d.fma(g.mul(s), FloatVector.fromArray(F, dUp, dUpOff + i)).intoArray(dUp, dUpOff + i);
        }
        backwardRange(dGate, dGateOff, dUp, dUpOff, dOut, dOutOff, gate, gateOff, up, upOff, i, to);
    }

    private static void backwardRange(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                      float[] gate, int gateOff, float[] up, int upOff, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[gateOff + i];
            float d = dOut[dOutOff + i];
            float s = Silu.sigmoid(g);
            dGate[dGateOff + i] = Math.fma(d * up[upOff + i], Silu.derivative(g, s), dGate[dGateOff + i]);
            dUp[dUpOff + i] = Math.fma(d, g * s, dUp[dUpOff + i]);
        }
    }
}
