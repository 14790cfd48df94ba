package io.supportlm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The error function, which Java's {@code Math} lacks.
 *
 * <p>{@link #erf(double)} is the double-precision reference (absolute error about 1e-15), built
 * from two classical identities rather than fitted constants:
 * <ul>
 *   <li>|x| &lt; 2.5: the everywhere-positive series
 *       erf(x) = (2/√π) e^{-x²} Σ_{n≥0} (2x²)^n x / (1·3·5···(2n+1))
 *       (Abramowitz &amp; Stegun 7.1.6), which has no cancellation;</li>
 *   <li>|x| ≥ 2.5: Laplace's continued fraction
 *       erfc(x) = (e^{-x²}/√π) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ···)))))
 *       (A&amp;S 7.1.14), evaluated with the modified Lentz algorithm.</li>
 * </ul>
 *
 * <p>Kernels need something cheaper and vectorizable: {@link #erfc(float)} and
 * {@link #erfc(float[], int, float[], int, int)} compute erfc(z) = e^{-z²}·g(|z|) for z ≥ 0 (and 2 − that for z &lt; 0)
 * with the scaled complementary error function g(x) = e^{x²} erfc(x) approximated by a degree-15
 * polynomial in t = (x − 3)/(x + 3), which maps [0, ∞) onto [−1, 1) (the variable change of
 * J.A.C. Weideman, "Computation of the complex error function", SIAM J. Numer. Anal. 31, 1994).
 * The polynomial is the Chebyshev interpolant at 16 nodes, computed at class initialisation from
 * the double reference above and converted to powers of t (its coefficients are all below 0.33, so
 * Horner's rule in f32 is stable); in double it has relative error below 2e-9 over all x ≥ 0, so
 * the f32 kernels are limited by f32 rounding, not by the approximation (measured: absolute error
 * of erf below 2.5e-7, relative error of erfc below 2e-6 for |z| ≤ 9).
 *
 * <p>For |z| &lt; 1/2, where 1 − erfc would cancel, erf is the Taylor polynomial
 * (2/√π) Σ_{n≤7} (−1)^n z^{2n+1} / (n! (2n+1)) (A&amp;S 7.1.5; the first omitted term is below
 * 2e-11). The scalar and vector forms evaluate the same formulas in the same order.
 */
public final class Erf {
    private Erf() {}

    private static final double SQRT_PI = Math.sqrt(Math.PI);
    private static final double SERIES_LIMIT = 2.5;
    /** The centre of the variable change t = (x − K)/(x + K). */
    private static final float K = 3f;
    /** erfc(30) ≈ 2e-393 is zero in any float; clamping keeps t finite for infinite inputs. */
    private static final float CLAMP = 30f;
    private static final int TERMS = 16;
    /** Coefficients of g(K(1+t)/(1−t)) in powers of t, lowest first. */
    private static final float[] POLY = powerCoefficients(chebyshevCoefficients());
    /** Below this |z| erf comes from its Taylor polynomial. */
    private static final float TAYLOR_LIMIT = 0.5f;
    /** Taylor coefficients of erf in powers of z²: (2/√π) (−1)^n / (n! (2n+1)). */
    private static final float[] TAYLOR = taylorCoefficients(8);

    /** erf(x) in double precision (absolute error about 1e-15); NaN for NaN. */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (x < 0) {
            return -erf(-x);
        }
        if (x < SERIES_LIMIT) {
            double q = 2 * x * x;
            double term = x;
            double sum = x;
            for (int n = 0; term > 1e-17 * sum; n++) {
                term *= q / (2 * n + 3);
                sum += term;
            }
            return 2 / SQRT_PI * Math.exp(-x * x) * sum;
        }
        if (x < 6) {
            return 1 - scaledErfc(x) * Math.exp(-x * x);
        }
        return 1.0; // 1 - erf(6) ≈ 2e-17, below half an ulp of 1
    }

    /**
     * g(x) = e^{x²} erfc(x) for x ≥ 0 in double: the continued fraction for x ≥ 2.5, otherwise from
     * the series (losing at most three digits to the subtraction, which still leaves 1e-12).
     */
    static double scaledErfc(double x) {
        if (x < SERIES_LIMIT) {
            return Math.exp(x * x) * (1 - erf(x));
        }
        // Modified Lentz for b0 + a1/(b1 + a2/(b2 + ...)) with b_k = x, a_k = k/2; g = 1/(√π · that).
        final double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int k = 1; k < 10_000; k++) {
            double a = k * 0.5;
            d = x + a * d;
            d = 1 / (d == 0 ? tiny : d);
            c = x + a / c;
            if (c == 0) {
                c = tiny;
            }
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return 1 / (f * SQRT_PI);
    }

    /** Chebyshev interpolation coefficients of g(K(1+t)/(1−t)) at TERMS nodes; the first halved. */
    private static double[] chebyshevCoefficients() {
        int n = TERMS;
        double[] values = new double[n];
        for (int k = 0; k < n; k++) {
            double t = Math.cos(Math.PI * (k + 0.5) / n);
            values[k] = scaledErfc(K * (1 + t) / (1 - t));
        }
        double[] c = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) {
                s += values[k] * Math.cos(Math.PI * j * (k + 0.5) / n);
            }
            c[j] = s * (j == 0 ? 1.0 : 2.0) / n;
        }
        return c;
    }

    /** Σ c_j T_j(t) rewritten as Σ a_k t^k, via T_{j+1} = 2t T_j − T_{j−1}, in double. */
    private static float[] powerCoefficients(double[] c) {
        int n = c.length;
        double[] a = new double[n];
        double[] previous = new double[n]; // T_{j-1} in powers of t
        double[] current = new double[n];  // T_j
        previous[0] = 1;
        current[1] = 1;
        a[0] = c[0];
        for (int k = 0; k < n; k++) {
            a[k] += c[1] * current[k];
        }
        for (int j = 2; j < n; j++) {
            double[] next = new double[n];
            for (int k = 0; k < n; k++) {
                next[k] = (k > 0 ? 2 * current[k - 1] : 0) - previous[k];
            }
            for (int k = 0; k < n; k++) {
                a[k] += c[j] * next[k];
            }
            previous = current;
            current = next;
        }
        float[] f = new float[n];
        for (int k = 0; k < n; k++) {
            f[k] = (float) a[k];
        }
        return f;
    }

    private static float[] taylorCoefficients(int n) {
        float[] c = new float[n];
        double factorial = 1;
        for (int k = 0; k < n; k++) {
            if (k > 0) {
                factorial *= k;
            }
            c[k] = (float) ((k % 2 == 0 ? 2 : -2) / SQRT_PI / (factorial * (2 * k + 1)));
        }
        return c;
    }

    /** erfc(z) in f32 for kernels: absolute error below 2.5e-7; see the class comment. */
    public static float erfc(float z) {
        if (Math.abs(z) < TAYLOR_LIMIT) {
            return 1 - erfTaylor(z);
        }
        float x = Math.min(Math.abs(z), CLAMP);
        // x² is split into x2 + lo exactly, so that e^{-x²} keeps its precision for large x.
        float x2 = x * x;
        float lo = Math.fma(x, x, -x2);
        float e = (float) Math.exp(-x2) * (1 - lo) * scaledErfc(x);
        return z >= 0 ? e : 2 - e;
    }

    /** erf(z) in f32 for kernels; relative precision is kept near zero. */
    public static float erfFloat(float z) {
        return Math.abs(z) < TAYLOR_LIMIT ? erfTaylor(z) : 1 - erfc(z);
    }

    private static float erfTaylor(float z) {
        float z2 = z * z;
        float p = TAYLOR[TAYLOR.length - 1];
        for (int k = TAYLOR.length - 2; k >= 0; k--) {
            p = Math.fma(p, z2, TAYLOR[k]);
        }
        return z * p;
    }

    /** g(x) = e^{x²} erfc(x) for 0 ≤ x ≤ 30 from the polynomial in t, in f32. */
    static float scaledErfc(float x) {
        float t = (x - K) / (x + K);
        float p = POLY[TERMS - 1];
        for (int k = TERMS - 2; k >= 0; k--) {
            p = Math.fma(p, t, POLY[k]);
        }
        return p;
    }

    /**
     * out[i] = erfc(z[i]) for i in [0, n), single-threaded, with the same arithmetic as
     * {@link #erfc(float)}; {@code out} must not overlap {@code z}.
     *
     * <p>Why arrays and three passes rather than one function of a vector: the whole formula
     * (a 16-term polynomial, {@link Simd#exp}, the Taylor branch) inlined into one loop exceeds C2's
     * node budget for a compilation ({@code NodeCountInliningCutoff}); whatever is then left as a
     * real call with {@code FloatVector} arguments runs in the Vector API's boxed Java fallback,
     * ten times slower. Each pass below is small, and a pass that is not inlined costs one call
     * per block, with arrays as arguments.
     */
    public static void erfc(float[] z, int zOff, float[] out, int outOff, int n) {
        int vectorEnd = Simd.ENABLED ? n - n % Simd.LANES : 0;
        if (vectorEnd > 0) {
            scaledPass(z, zOff, out, outOff, vectorEnd);
            farPass(z, zOff, out, outOff, vectorEnd);
            nearPass(z, zOff, out, outOff, vectorEnd);
        }
        for (int i = vectorEnd; i < n; i++) {
            out[outOff + i] = erfc(z[zOff + i]);
        }
    }

    /** out = g(min(|z|, 30)). */
    private static void scaledPass(float[] z, int zOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += Simd.LANES) {
            FloatVector x = FloatVector.fromArray(Simd.F, z, zOff + i).abs().min(CLAMP);
            FloatVector t = x.sub(K).div(x.add(K));
            FloatVector p = FloatVector.broadcast(Simd.F, POLY[TERMS - 1]);
            for (int k = TERMS - 2; k >= 0; k--) {
                p = p.fma(t, FloatVector.broadcast(Simd.F, POLY[k]));
            }
            p.intoArray(out, outOff + i);
        }
    }

    /** out = e^{-x²}·g, mirrored to 2 − that for negative z. */
    private static void farPass(float[] z, int zOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += Simd.LANES) {
            FloatVector zv = FloatVector.fromArray(Simd.F, z, zOff + i);
            FloatVector x = zv.abs().min(CLAMP);
            FloatVector x2 = x.mul(x);
            FloatVector lo = x.fma(x, x2.neg());
            FloatVector e = Simd.exp(x2.neg()).mul(lo.neg().add(1f)).mul(FloatVector.fromArray(Simd.F, out, outOff + i));
            e.blend(e.neg().add(2f), zv.compare(VectorOperators.LT, 0f)).intoArray(out, outOff + i);
        }
    }

    /** out = 1 − the Taylor polynomial of erf where |z| is below {@link #TAYLOR_LIMIT}. */
    private static void nearPass(float[] z, int zOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i += Simd.LANES) {
            FloatVector zv = FloatVector.fromArray(Simd.F, z, zOff + i);
            FloatVector z2 = zv.mul(zv);
            FloatVector p = FloatVector.broadcast(Simd.F, TAYLOR[TAYLOR.length - 1]);
            for (int k = TAYLOR.length - 2; k >= 0; k--) {
                p = p.fma(z2, FloatVector.broadcast(Simd.F, TAYLOR[k]));
            }
            FloatVector near = zv.mul(p).neg().add(1f);
            FloatVector far = FloatVector.fromArray(Simd.F, out, outOff + i);
            far.blend(near, zv.abs().compare(VectorOperators.LT, TAYLOR_LIMIT)).intoArray(out, outOff + i);
        }
    }
}
