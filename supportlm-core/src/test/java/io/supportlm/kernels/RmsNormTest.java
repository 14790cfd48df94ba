package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static io.supportlm.kernels.LayerNormTest.minus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.supportlm.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RmsNormTest {
    private static final float EPS = 1e-6f;
    private static final int[][] SHAPES = {{1, 7}, {1, 33}, {3, 19}, {2, 33}, {4, 64}, {3, 1}};

    /** y = x / √(mean(x²) + eps) · (w + shift) per row, in double. */
    static double[] reference(double[] x, double[] w, int N, int C, double shift) {
        double[] y = new double[N * C];
        for (int r = 0; r < N; r++) {
            double ms = 0;
            for (int c = 0; c < C; c++) {
                ms += x[r * C + c] * x[r * C + c];
            }
            double rstd = 1 / Math.sqrt(ms / C + EPS);
            for (int c = 0; c < C; c++) {
                y[r * C + c] = x[r * C + c] * rstd * (w[c] + shift);
            }
        }
        return y;
    }

    @Test
    void forwardMatchesDoubleReference() {
        Random rng = new Random(1);
        for (boolean gemma : new boolean[] {false, true}) {
            for (int[] s : SHAPES) {
                int N = s[0], C = s[1];
                float[] x = randomFloats(rng, N * C, 3f);
                float[] w = randomFloats(rng, C, 1.5f);
                float[] out = new float[N * C];
                float[] rstd = new float[N];
                RmsNorm.forward(out, 0, rstd, 0, x, 0, w, 0, N, C, EPS, gemma);
                assertClose("rmsnorm gemma=" + gemma + " N=" + N + " C=" + C, out,
                        reference(toDouble(x), toDouble(w), N, C, gemma ? 1 : 0), 1e-5, 2e-6);
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(2);
        for (boolean gemma : new boolean[] {false, true}) {
            double shift = gemma ? 1 : 0;
            for (int[] s : SHAPES) {
                int N = s[0], C = s[1];
                float[] x = randomFloats(rng, N * C, 2f);
                float[] w = randomFloats(rng, C, 1.5f);
                float[] g = randomFloats(rng, N * C, 1f);
                float[] out = new float[N * C];
                float[] rstd = new float[N];
                RmsNorm.forward(out, 0, rstd, 0, x, 0, w, 0, N, C, EPS, gemma);
                float[] dx0 = randomFloats(rng, N * C, 1f);
                float[] dw0 = randomFloats(rng, C, 1f);
                float[] dx = dx0.clone();
                float[] dw = dw0.clone();
                RmsNorm.backward(dx, 0, dw, 0, g, 0, rstd, 0, x, 0, w, 0, N, C, gemma);
                double[] xd = toDouble(x);
                double[] wd = toDouble(w);
                String at = " gemma=" + gemma + " N=" + N + " C=" + C;
                GradCheck.assertGradient("dInp" + at, minus(dx, dx0), xd, v -> GradCheck.dot(reference(v, wd, N, C, shift), g));
                GradCheck.assertGradient("dWeight" + at, minus(dw, dw0), wd, v -> GradCheck.dot(reference(xd, v, N, C, shift), g));
            }
        }
    }

    private static float[][] run(boolean scalar, float[] x, float[] w, float[] g, int N, int C, boolean gemma) {
        float[] out = new float[N * C];
        float[] rstd = new float[N];
        float[] dx = new float[N * C];
        float[] dw = new float[C];
        if (scalar) {
            RmsNorm.forwardScalar(out, 0, rstd, 0, x, 0, w, 0, N, C, EPS, gemma);
            RmsNorm.backwardScalar(dx, 0, dw, 0, g, 0, rstd, 0, x, 0, w, 0, N, C, gemma);
        } else {
            RmsNorm.forward(out, 0, rstd, 0, x, 0, w, 0, N, C, EPS, gemma);
            RmsNorm.backward(dx, 0, dw, 0, g, 0, rstd, 0, x, 0, w, 0, N, C, gemma);
        }
        return new float[][] {out, dx, dw, rstd};
    }

    @Test
    void vectorAndScalarPathsAgree() {
        Random rng = new Random(3);
        for (int[] s : new int[][] {{3, 7}, {5, 19}, {2, 33}, {300, 131}}) {
            int N = s[0], C = s[1];
            float[] x = randomFloats(rng, N * C, 4f);
            float[] w = randomFloats(rng, C, 1f);
            float[] g = randomFloats(rng, N * C, 1f);
            float[][] v = run(false, x, w, g, N, C, false);
            float[][] sc = run(true, x, w, g, N, C, false);
            String at = " N=" + N + " C=" + C;
            assertClose("out" + at, v[0], sc[0], 1e-5, 1e-6);
            assertClose("dInp" + at, v[1], sc[1], 1e-4, 1e-5);
            assertClose("dWeight" + at, v[2], sc[2], 1e-4, 1e-4);
        }
    }

    @Test
    void weightGradientEqualsTheScalarOracleBitForBit() {
        int N = 70, C = 531;
        Random rng = new Random(7);
        float[] x = randomFloats(rng, N * C, 4f);
        float[] w = randomFloats(rng, C, 1f);
        float[] g = randomFloats(rng, N * C, 1f);
        float[] rstd = new float[N];
        RmsNorm.forward(new float[N * C], 0, rstd, 0, x, 0, w, 0, N, C, EPS, false);
        float[] dw = new float[C];
        float[] dwS = new float[C];
        RmsNorm.backward(new float[N * C], 0, dw, 0, g, 0, rstd, 0, x, 0, w, 0, N, C, false);
        RmsNorm.backwardScalar(new float[N * C], 0, dwS, 0, g, 0, rstd, 0, x, 0, w, 0, N, C, false);
        assertArrayEquals(dwS, dw);
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int N = 200, C = 300;
        Random rng = new Random(4);
        float[] x = randomFloats(rng, N * C, 4f);
        float[] w = randomFloats(rng, C, 1f);
        float[] g = randomFloats(rng, N * C, 1f);
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[][] one = run(false, x, w, g, N, C, true);
            Parallel.setThreads(3);
            float[][] three = run(false, x, w, g, N, C, true);
            for (int k = 0; k < one.length; k++) {
                assertArrayEquals(one[k], three[k], "buffer " + k);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void gemmaVariantEqualsPlainRmsNormWithWeightPlusOne() {
        int N = 4, C = 19;
        Random rng = new Random(5);
        float[] x = randomFloats(rng, N * C, 2f);
        float[] w = randomFloats(rng, C, 0.5f);
        float[] g = randomFloats(rng, N * C, 1f);
        float[] wPlusOne = new float[C];
        for (int c = 0; c < C; c++) {
            wPlusOne[c] = w[c] + 1;
        }
        float[][] gemma = run(false, x, w, g, N, C, true);
        float[][] plain = run(false, x, wPlusOne, g, N, C, false);
        for (int k = 0; k < gemma.length; k++) {
            assertArrayEquals(plain[k], gemma[k], "buffer " + k);
        }
    }

    @Test
    void perHeadNormTreatsEachHeadVectorAsARow() {
        // q of shape (B·T, NH·HS) normalized per head = (B·T·NH) rows of HS with one HS weight.
        int tokens = 3, NH = 4, HS = 8;
        Random rng = new Random(6);
        float[] q = randomFloats(rng, tokens * NH * HS, 2f);
        float[] w = randomFloats(rng, HS, 1f);
        float[] all = new float[q.length];
        RmsNorm.forward(all, 0, new float[tokens * NH], 0, q, 0, w, 0, tokens * NH, HS, EPS, false);
        float[] oneByOne = new float[q.length];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < NH; h++) {
                int off = (t * NH + h) * HS;
                RmsNorm.forward(oneByOne, off, new float[1], 0, q, off, w, 0, 1, HS, EPS, false);
            }
        }
        assertArrayEquals(oneByOne, all);
        double[] expected = reference(toDouble(q), toDouble(w), tokens * NH, HS, 0);
        assertClose("per-head", all, expected, 1e-5, 2e-6);
    }
}
