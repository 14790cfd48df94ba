package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;

/**
 * GeGLU, the gated MLP activation of Gemma ({@code hidden_activation = "gelu_pytorch_tanh"}):
 * {@code out = gelu_tanh(gate) · up}, where {@code gate} and {@code up} are the outputs of
 * {@code gate_proj} and {@code up_proj}, two separate buffers of the same shape (N, I).
 *
 * <pre>
 *   dGate += dOut · up · gelu_tanh'(g)
 *   dUp   += dOut · gelu_tanh(g)
 * </pre>
 *
 * The GELU math is {@link GeluTanh}'s. Nothing is saved: backward reads gate and up.
 */
public final class GeGlu {
    private GeGlu() {}

    /** out[i] = gelu_tanh(gate[i]) · up[i] for i in [0, n). {@code out} may be {@code gate} or {@code up}. */
    public static void forward(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n) {
        Work.checkRange("geglu out", out, outOff, n);
        Work.checkRange("geglu gate", gate, gateOff, n);
        Work.checkRange("geglu up", up, upOff, n);
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
        Work.checkRange("geglu dGate", dGate, dGateOff, n);
        Work.checkRange("geglu dUp", dUp, dUpOff, n);
        Work.checkRange("geglu dOut", dOut, dOutOff, n);
        Work.checkRange("geglu gate", gate, gateOff, n);
        Work.checkRange("geglu up", up, upOff, n);
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
            GeluTanh.value(g).mul(u).intoArray(out, outOff + i);
        }
        forwardRange(out, outOff, gate, gateOff, up, upOff, i, to);
    }

    private static void forwardRange(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff,
                                     int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[gateOff + i];
            out[outOff + i] = GeluTanh.value(g) * up[upOff + i];
        }
    }

    private static void backwardVector(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                       float[] gate, int gateOff, float[] up, int upOff, int from, int to) {
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            FloatVector g = FloatVector.fromArray(F, gate, gateOff + i);
            FloatVector u = FloatVector.fromArray(F, up, upOff + i);
            FloatVector d = FloatVector.fromArray(F, dOut, dOutOff + i);
            d.mul(u).fma(GeluTanh.derivative(g), FloatVector.fromArray(F, dGate, dGateOff + i))
                    .intoArray(dGate, dGateOff + i);
            d.fma(GeluTanh.value(g), FloatVector.fromArray(F, dUp, dUpOff + i)).intoArray(dUp, dUpOff + i);
        }
        backwardRange(dGate, dGateOff, dUp, dUpOff, dOut, dOutOff, gate, gateOff, up, upOff, i, to);
    }

    private static void backwardRange(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                                      float[] gate, int gateOff, float[] up, int upOff, int from, int to) {
        for (int i = from; i < to; i++) {
            float g = gate[gateOff + i];
            float d = dOut[dOutOff + i];
            dGate[dGateOff + i] = Math.fma(d * up[upOff + i], GeluTanh.derivative(g), dGate[dGateOff + i]);
            dUp[dUpOff + i] = Math.fma(d, GeluTanh.value(g), dUp[dUpOff + i]);
        }
    }
}
