package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.Parallel;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** GELU (exact and tanh), SiLU, SwiGLU and GeGLU. */
class ActivationsTest {
    interface Forward {
        void run(float[] out, int outOff, float[] inp, int inpOff, int n);
    }

    interface Backward {
        void run(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int n);
    }

    record Unary(String name, Forward forward, Backward backward, Forward forwardScalar, Backward backwardScalar,
                 DoubleUnaryOperator reference) {
        @Override
        public String toString() {
            return name;
        }
    }

    interface GatedForward {
        void run(float[] out, int outOff, float[] gate, int gateOff, float[] up, int upOff, int n);
    }

    interface GatedBackward {
        void run(float[] dGate, int dGateOff, float[] dUp, int dUpOff, float[] dOut, int dOutOff,
                 float[] gate, int gateOff, float[] up, int upOff, int n);
    }

    record Gated(String name, GatedForward forward, GatedBackward backward, GatedForward forwardScalar,
                 GatedBackward backwardScalar, DoubleUnaryOperator gateActivation) {
        @Override
        public String toString() {
            return name;
        }
    }

    static double geluExact(double x) {
        return 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
    }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    static Stream<Unary> unaries() {
        return Stream.of(
                new Unary("gelu", Gelu::forward, Gelu::backward, Gelu::forwardScalar, Gelu::backwardScalar,
                        ActivationsTest::geluExact),
                new Unary("gelu_tanh", GeluTanh::forward, GeluTanh::backward, GeluTanh::forwardScalar,
                        GeluTanh::backwardScalar, ActivationsTest::geluTanh),
                new Unary("silu", Silu::forward, Silu::backward, Silu::forwardScalar, Silu::backwardScalar,
                        ActivationsTest::silu));
    }

    static Stream<Gated> gateds() {
        return Stream.of(
                new Gated("swiglu", SwiGlu::forward, SwiGlu::backward, SwiGlu::forwardScalar, SwiGlu::backwardScalar,
                        ActivationsTest::silu),
                new Gated("geglu", GeGlu::forward, GeGlu::backward, GeGlu::forwardScalar, GeGlu::backwardScalar,
                        ActivationsTest::geluTanh));
    }

    private static final int[] SIZES = {1, 7, 19, 33, 64};

    @ParameterizedTest
    @MethodSource("unaries")
    void forwardMatchesDoubleReference(Unary op) {
        Random rng = new Random(1);
        for (int n : SIZES) {
            float[] inp = randomFloats(rng, n + 3, 6f);
            float[] out = new float[n + 2];
            op.forward().run(out, 2, inp, 3, n);
            double[] expected = new double[n + 2];
            for (int i = 0; i < n; i++) {
                expected[2 + i] = op.reference().applyAsDouble(inp[3 + i]);
            }
            assertClose(op + " n=" + n, out, expected, 1e-5, 1e-6);
        }
    }

    @ParameterizedTest
    @MethodSource("unaries")
    void backwardMatchesFiniteDifferences(Unary op) {
        Random rng = new Random(2);
        for (int n : SIZES) {
            float[] inp = randomFloats(rng, n, 4f);
            float[] dOut = randomFloats(rng, n, 1f);
            float[] before = randomFloats(rng, n, 1f);
            float[] dInp = before.clone();
            op.backward().run(dInp, 0, dOut, 0, inp, 0, n);
            float[] added = new float[n];
            for (int i = 0; i < n; i++) {
                added[i] = dInp[i] - before[i];
            }
            GradCheck.assertGradient(op + " n=" + n, added, toDouble(inp), x -> {
                double s = 0;
                for (int i = 0; i < x.length; i++) {
                    s += op.reference().applyAsDouble(x[i]) * dOut[i];
                }
                return s;
            });
        }
    }

    @ParameterizedTest
    @MethodSource("unaries")
    void vectorAndScalarPathsAgree(Unary op) {
        Random rng = new Random(3);
        for (int n : new int[] {5, 33, 1001, Work.MIN_PARALLEL + 37}) {
            float[] inp = randomFloats(rng, n, 10f);
            float[] dOut = randomFloats(rng, n, 1f);
            float[] out = new float[n];
            float[] outScalar = new float[n];
            op.forward().run(out, 0, inp, 0, n);
            op.forwardScalar().run(outScalar, 0, inp, 0, n);
            assertClose(op + " forward n=" + n, out, outScalar, 2e-6, 1e-7);
            float[] dInp = new float[n];
            float[] dInpScalar = new float[n];
            op.backward().run(dInp, 0, dOut, 0, inp, 0, n);
            op.backwardScalar().run(dInpScalar, 0, dOut, 0, inp, 0, n);
            assertClose(op + " backward n=" + n, dInp, dInpScalar, 2e-6, 1e-7);
        }
    }

    @ParameterizedTest
    @MethodSource("unaries")
    void resultsDoNotDependOnTheThreadCount(Unary op) {
        int n = Work.MIN_PARALLEL * 2 + 5;
        float[] inp = randomFloats(new Random(4), n, 8f);
        int saved = Parallel.threads();
        try {
            float[][] outs = new float[2][n];
            float[][] grads = new float[2][n];
            int[] threadCounts = {1, 3};
            for (int k = 0; k < 2; k++) {
                Parallel.setThreads(threadCounts[k]);
                op.forward().run(outs[k], 0, inp, 0, n);
                op.backward().run(grads[k], 0, inp, 0, inp, 0, n);
            }
            assertArrayEquals(outs[0], outs[1], op + " forward");
            assertArrayEquals(grads[0], grads[1], op + " backward");
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @ParameterizedTest
    @MethodSource("unaries")
    void extremeInputsGiveFiniteLimits(Unary op) {
        float[] inp = {-1e4f, -100f, -30f, 30f, 100f, 1e4f};
        float[] out = new float[inp.length];
        float[] grad = new float[inp.length];
        float[] ones = {1, 1, 1, 1, 1, 1};
        op.forward().run(out, 0, inp, 0, inp.length);
        op.backward().run(grad, 0, ones, 0, inp, 0, inp.length);
        for (int i = 0; i < inp.length; i++) {
            float expectedOut = inp[i] > 0 ? inp[i] : 0f;
            float expectedGrad = inp[i] > 0 ? 1f : 0f;
            assertEquals(expectedOut, out[i], 1e-5 * Math.abs(inp[i]), op + "(" + inp[i] + ")");
            assertEquals(expectedGrad, grad[i], 1e-5, op + "'(" + inp[i] + ")");
        }
    }

    @Test
    void geluTanhIsCloseToExactGelu() {
        int n = 2001;
        float[] inp = new float[n];
        for (int i = 0; i < n; i++) {
            inp[i] = -6 + 12f * i / (n - 1);
        }
        float[] exact = new float[n];
        float[] approx = new float[n];
        Gelu.forward(exact, 0, inp, 0, n);
        GeluTanh.forward(approx, 0, inp, 0, n);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = Math.max(worst, Math.abs(exact[i] - approx[i]));
        }
        // The tanh form is a fit, not an identity: close (max error ≈ 5e-4) but not equal.
        assertTrue(worst < 1e-3 && worst > 1e-5, "max |gelu - gelu_tanh| = " + worst);
    }

    @ParameterizedTest
    @MethodSource("gateds")
    void gatedBackwardMatchesFiniteDifferences(Gated op) {
        Random rng = new Random(5);
        for (int n : SIZES) {
            float[] gate = randomFloats(rng, n, 4f);
            float[] up = randomFloats(rng, n, 2f);
            float[] dOut = randomFloats(rng, n, 1f);
            float[] dGate = new float[n];
            float[] dUp = new float[n];
            op.backward().run(dGate, 0, dUp, 0, dOut, 0, gate, 0, up, 0, n);
            op.backward().run(dGate, 0, dUp, 0, dOut, 0, gate, 0, up, 0, n); // accumulates: twice the gradient
            for (int i = 0; i < n; i++) {
                dGate[i] /= 2;
                dUp[i] /= 2;
            }
            double[] g = toDouble(gate);
            double[] u = toDouble(up);
            GradCheck.assertGradient(op + " dGate n=" + n, dGate, g, x -> gatedLoss(op, x, u, dOut));
            GradCheck.assertGradient(op + " dUp n=" + n, dUp, u, x -> gatedLoss(op, g, x, dOut));

            float[] out = new float[n];
            op.forward().run(out, 0, gate, 0, up, 0, n);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = op.gateActivation().applyAsDouble(gate[i]) * up[i];
            }
            assertClose(op + " forward n=" + n, out, expected, 1e-5, 1e-6);
        }
    }

    private static double gatedLoss(Gated op, double[] gate, double[] up, float[] dOut) {
        double s = 0;
        for (int i = 0; i < gate.length; i++) {
            s += op.gateActivation().applyAsDouble(gate[i]) * up[i] * dOut[i];
        }
        return s;
    }

    @ParameterizedTest
    @MethodSource("gateds")
    void gatedVectorAndScalarPathsAgree(Gated op) {
        Random rng = new Random(6);
        for (int n : new int[] {3, 19, 1003}) {
            float[] gate = randomFloats(rng, n + 1, 8f);
            float[] up = randomFloats(rng, n + 2, 2f);
            float[] dOut = randomFloats(rng, n, 1f);
            float[] out = new float[n];
            float[] outScalar = new float[n];
            op.forward().run(out, 0, gate, 1, up, 2, n);
            op.forwardScalar().run(outScalar, 0, gate, 1, up, 2, n);
            assertClose(op + " forward", out, outScalar, 2e-6, 1e-7);
            float[][] v = {new float[n], new float[n]};
            float[][] s = {new float[n], new float[n]};
            op.backward().run(v[0], 0, v[1], 0, dOut, 0, gate, 1, up, 2, n);
            op.backwardScalar().run(s[0], 0, s[1], 0, dOut, 0, gate, 1, up, 2, n);
            assertClose(op + " dGate", v[0], s[0], 2e-6, 1e-7);
            assertClose(op + " dUp", v[1], s[1], 2e-6, 1e-7);
        }
    }

    @Test
    void aSliceOutsideTheArrayIsRejectedWithItsName() {
        float[] small = new float[4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SwiGlu.forward(small, 0, small, 0, new float[3], 0, 4));
        assertTrue(e.getMessage().contains("swiglu up"), e.getMessage());
    }
}
