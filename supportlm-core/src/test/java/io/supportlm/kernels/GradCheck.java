package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Checks analytic gradients against central finite differences of a double-precision reference.
 *
 * <p>The pattern every kernel test follows: pick random inputs and a random "upstream gradient"
 * {@code g}; the scalar loss is {@code L = sum(out * g)}, so {@code dOut = g}. Run the f32 kernel's
 * backward with {@code dOut = g}; then differentiate a plain double-precision forward of the same
 * math numerically, {@code (L(x + h) - L(x - h)) / 2h}, element by element, and compare.
 */
public final class GradCheck {
    private GradCheck() {}

    /** Step for central differences in double precision: error O(h²) ≈ 1e-10, far below f32 noise. */
    public static final double H = 1e-5;

    /**
     * Numerical gradient of {@code loss} at {@code x} (modified and restored in place), in double.
     */
    public static double[] numericGradient(double[] x, ToDoubleFunction<double[]> loss) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + H;
            double plus = loss.applyAsDouble(x);
            x[i] = saved - H;
            double minus = loss.applyAsDouble(x);
            x[i] = saved;
            grad[i] = (plus - minus) / (2 * H);
        }
        return grad;
    }

    /**
     * Asserts that the f32 {@code analytic} gradient matches the numeric gradient of the double
     * {@code loss} at {@code x}: |a - n| ≤ atol + rtol·|n| for every element.
     */
    public static void assertGradient(String what, float[] analytic, double[] x, ToDoubleFunction<double[]> loss,
                                      double rtol, double atol) {
        if (analytic.length != x.length) {
            fail(what + ": analytic gradient has " + analytic.length + " elements, input has " + x.length);
        }
        assertClose(what, analytic, numericGradient(x, loss), rtol, atol);
    }

    /** Default tolerances for f32 kernels against a double reference. */
    public static void assertGradient(String what, float[] analytic, double[] x, ToDoubleFunction<double[]> loss) {
        assertGradient(what, analytic, x, loss, 1e-3, 1e-4);
    }

    /** Element-wise |actual - expected| ≤ atol + rtol·|expected|, reporting the worst element. */
    public static void assertClose(String what, float[] actual, double[] expected, double rtol, double atol) {
        if (actual.length != expected.length) {
            fail(what + ": length " + actual.length + " vs expected " + expected.length);
        }
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double excess = err - (atol + rtol * Math.abs(expected[i]));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + actual[worst] + ", expected " + expected[worst]
                    + " (rtol " + rtol + ", atol " + atol + ")");
        }
    }

    /** Same as {@link #assertClose(String, float[], double[], double, double)} for float expectations. */
    public static void assertClose(String what, float[] actual, float[] expected, double rtol, double atol) {
        assertClose(what, actual, toDouble(expected), rtol, atol);
    }

    /** Uniform random floats in [-scale, scale). */
    public static float[] randomFloats(Random rng, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (rng.nextFloat() * 2 - 1) * scale;
        }
        return a;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** sum(out * g) in double: the scalar loss whose gradient with respect to {@code out} is g. */
    public static double dot(double[] out, float[] g) {
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += out[i] * g[i];
        }
        return s;
    }
}
