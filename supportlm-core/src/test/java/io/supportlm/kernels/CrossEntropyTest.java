package io.supportlm.kernels;

import static io.supportlm.kernels.CrossEntropy.IGNORE_INDEX;
import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CrossEntropyTest {
    /** PyTorch's weighted mean cross-entropy, written out in double. */
    static double reference(double[] z, int[] y, float[] w, int N, int V, double[] rowLosses) {
        return reference(z, y, w, N, V, rowLosses, 0);
    }

    /** The same with label smoothing ε: (1 − ε)·w_y·(lse − z_y) + ε/V·Σ_j w_j·(lse − z_j) per row. */
    static double reference(double[] z, int[] y, float[] w, int N, int V, double[] rowLosses, double smoothing) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < N; i++) {
            if (y[i] == IGNORE_INDEX) {
                if (rowLosses != null) {
                    rowLosses[i] = 0;
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < V; j++) {
                max = Math.max(max, z[i * V + j]);
            }
            double s = 0;
            for (int j = 0; j < V; j++) {
                s += Math.exp(z[i * V + j] - max);
            }
            double wy = w == null ? 1 : w[y[i]];
            double lse = max + Math.log(s);
            double loss = (1 - smoothing) * wy * (lse - z[i * V + y[i]]);
            for (int j = 0; j < V; j++) {
                loss += smoothing / V * (w == null ? 1 : w[j]) * (lse - z[i * V + j]);
            }
            if (rowLosses != null) {
                rowLosses[i] = loss;
            }
            num += loss;
            den += wy;
        }
        return num / den;
    }

    private static int[] randomTargets(Random rng, int N, int V, boolean withIgnored) {
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = rng.nextInt(V);
        }
        if (withIgnored && N > 1) {
            y[N / 2] = IGNORE_INDEX;
        }
        return y;
    }

    private static float[] positiveWeights(Random rng, int V) {
        float[] w = new float[V];
        for (int j = 0; j < V; j++) {
            w[j] = 0.25f + 2 * rng.nextFloat();
        }
        return w;
    }

    @Test
    void forwardMatchesDoubleReference() {
        Random rng = new Random(1);
        for (int[] s : new int[][] {{1, 7}, {3, 19}, {4, 33}, {5, 64}}) {
            int N = s[0], V = s[1];
            for (boolean weighted : new boolean[] {false, true}) {
                for (float smoothing : new float[] {0f, 0.1f}) {
                    float[] z = randomFloats(rng, N * V, 5f);
                    int[] y = randomTargets(rng, N, V, true);
                    float[] w = weighted ? positiveWeights(rng, V) : null;
                    float[] losses = new float[N];
                    float[] lse = new float[N];
                    float mean = CrossEntropy.forward(losses, 0, lse, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
                    double[] rows = new double[N];
                    double expected = reference(toDouble(z), y, w, N, V, rows, smoothing);
                    String where = "N=" + N + " V=" + V + " weighted=" + weighted + " smoothing=" + smoothing;
                    assertEquals(expected, mean, 1e-5 * Math.abs(expected), where);
                    assertClose("row losses " + where, losses, rows, 1e-5, 1e-6);
                }
            }
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(2);
        float dLoss = 1.7f;
        for (int[] s : new int[][] {{1, 7}, {3, 19}, {4, 33}, {2, 64}}) {
            int N = s[0], V = s[1];
            for (boolean weighted : new boolean[] {false, true}) {
                for (float smoothing : new float[] {0f, 0.1f}) {
                    float[] z = randomFloats(rng, N * V, 3f);
                    int[] y = randomTargets(rng, N, V, true);
                    float[] w = weighted ? positiveWeights(rng, V) : null;
                    float[] lse = new float[N];
                    CrossEntropy.forward(new float[N], 0, lse, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
                    float[] before = randomFloats(rng, N * V, 1f);
                    float[] dz = before.clone();
                    CrossEntropy.backward(dz, 0, dLoss, lse, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
                    GradCheck.assertGradient("dLogits N=" + N + " V=" + V + " weighted=" + weighted + " smoothing=" + smoothing,
                            LayerNormTest.minus(dz, before), toDouble(z),
                            x -> dLoss * reference(x, y, w, N, V, null, smoothing), 1e-3, 1e-5);
                }
            }
        }
    }

    @Test
    void ignoredRowsContributeNothing() {
        int N = 4, V = 11;
        Random rng = new Random(3);
        float[] z = randomFloats(rng, N * V, 4f);
        int[] y = {3, IGNORE_INDEX, 7, 0};
        float[] losses = new float[N];
        float[] lse = new float[N];
        float mean = CrossEntropy.forward(losses, 0, lse, 0, z, 0, y, 0, null, N, V, IGNORE_INDEX);
        assertEquals(0f, losses[1]);
        assertEquals((losses[0] + losses[2] + losses[3]) / 3, mean, 1e-6);
        float[] dz = new float[N * V];
        CrossEntropy.backward(dz, 0, 1f, lse, 0, z, 0, y, 0, null, N, V, IGNORE_INDEX);
        for (int j = 0; j < V; j++) {
            assertEquals(0f, dz[V + j], "ignored row, class " + j);
        }
        // Changing the ignored row's logits changes nothing.
        float[] z2 = z.clone();
        for (int j = 0; j < V; j++) {
            z2[V + j] = 100 * j;
        }
        assertEquals(mean, CrossEntropy.forward(new float[N], 0, new float[N], 0, z2, 0, y, 0, null, N, V, IGNORE_INDEX));
    }

    @Test
    void classWeightsGiveTheWeightedMeanOfPyTorch() {
        // Two rows, three classes, by hand: loss_i = w[y_i] · (log Σ e^z − z_y), mean = Σ loss_i / Σ w[y_i].
        float[] z = {0f, 0f, 0f, 2f, 0f, 0f};
        int[] y = {0, 1};
        float[] w = {3f, 1f, 5f};
        double l0 = Math.log(3);
        double l1 = Math.log(Math.exp(2) + 2);
        double expected = (3 * l0 + 1 * l1) / (3 + 1);
        float[] losses = new float[2];
        float mean = CrossEntropy.forward(losses, 0, new float[2], 0, z, 0, y, 0, w, 2, 3, IGNORE_INDEX);
        assertEquals(expected, mean, 1e-6);
        assertEquals(3 * l0, losses[0], 1e-6);
        assertEquals(l1, losses[1], 1e-6);
        // Uniform weights cancel: any constant weight gives the unweighted mean.
        float unweighted = CrossEntropy.forward(new float[2], 0, new float[2], 0, z, 0, y, 0, null, 2, 3, IGNORE_INDEX);
        float uniform = CrossEntropy.forward(new float[2], 0, new float[2], 0, z, 0, y, 0, new float[] {2.5f, 2.5f, 2.5f},
                2, 3, IGNORE_INDEX);
        assertEquals(unweighted, uniform, 1e-6);
    }

    @Test
    void labelSmoothingGivesPyTorchsValues() {
        // torch.nn.functional.cross_entropy(z, y, weight=w, label_smoothing=0.1), torch 1.13.
        float[] z = {0f, 0f, 0f, 2f, 0f, 0f};
        float[] w = {3f, 1f, 5f};
        assertEquals(1.6357451677322388, CrossEntropy.forward(new float[2], 0, new float[2], 0, z, 0, new int[] {0, 1}, 0,
                null, 2, 3, IGNORE_INDEX, 0.1f), 1e-6);
        assertEquals(1.4458227157592773, CrossEntropy.forward(new float[2], 0, new float[2], 0, z, 0, new int[] {0, 1}, 0,
                w, 2, 3, IGNORE_INDEX, 0.1f), 1e-6);
        assertEquals(1.0986123085021973, CrossEntropy.forward(new float[2], 0, new float[2], 0, z, 0,
                new int[] {0, IGNORE_INDEX}, 0, w, 2, 3, IGNORE_INDEX, 0.1f), 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CrossEntropy.forward(new float[2], 0,
                new float[2], 0, z, 0, new int[] {0, 1}, 0, null, 2, 3, IGNORE_INDEX, 1f));
        assertTrue(e.getMessage().contains("label smoothing must be in [0, 1)"), e.getMessage());
    }

    @Test
    void largeLogitsStayFiniteAndShiftInvariant() {
        int N = 2, V = 19;
        float[] z = randomFloats(new Random(4), N * V, 3f);
        float[] shifted = z.clone();
        for (int i = 0; i < shifted.length; i++) {
            shifted[i] += 5000f;
        }
        int[] y = {4, 17};
        float a = CrossEntropy.forward(new float[N], 0, new float[N], 0, z, 0, y, 0, null, N, V, IGNORE_INDEX);
        float b = CrossEntropy.forward(new float[N], 0, new float[N], 0, shifted, 0, y, 0, null, N, V, IGNORE_INDEX);
        assertTrue(Float.isFinite(b));
        assertEquals(a, b, 2e-3); // 5000 + z keeps only ~4e-4 of z's precision in f32
    }

    @Test
    void vectorAndScalarPathsAgree() {
        Random rng = new Random(5);
        for (int[] s : new int[][] {{3, 7}, {2, 33}, {5, 1003}, {40, 1031}}) {
            int N = s[0], V = s[1];
            float[] z = randomFloats(rng, N * V, 8f);
            int[] y = randomTargets(rng, N, V, true);
            float[] w = positiveWeights(rng, V);
            float[] lossV = new float[N];
            float[] lseV = new float[N];
            float[] lossS = new float[N];
            float[] lseS = new float[N];
            float smoothing = N % 2 == 0 ? 0.1f : 0f;
            float meanV = CrossEntropy.forward(lossV, 0, lseV, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
            float meanS = CrossEntropy.forwardScalar(lossS, 0, lseS, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
            assertEquals(meanS, meanV, 1e-5 * Math.abs(meanS));
            assertClose("lse", lseV, lseS, 1e-6, 1e-6);
            float[] dV = new float[N * V];
            float[] dS = new float[N * V];
            CrossEntropy.backward(dV, 0, 0.5f, lseS, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
            CrossEntropy.backwardScalar(dS, 0, 0.5f, lseS, 0, z, 0, y, 0, w, N, V, IGNORE_INDEX, smoothing);
            assertClose("dLogits N=" + N + " V=" + V, dV, dS, 1e-5, 1e-8);
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int N = 50, V = 1001;
        Random rng = new Random(6);
        float[] z = randomFloats(rng, N * V, 8f);
        int[] y = randomTargets(rng, N, V, true);
        int saved = Parallel.threads();
        try {
            float[][] lse = new float[2][N];
            float[][] d = new float[2][N * V];
            float[] means = new float[2];
            int[] counts = {1, 3};
            for (int k = 0; k < 2; k++) {
                Parallel.setThreads(counts[k]);
                means[k] = CrossEntropy.forward(new float[N], 0, lse[k], 0, z, 0, y, 0, null, N, V, IGNORE_INDEX);
                CrossEntropy.backward(d[k], 0, 1f, lse[k], 0, z, 0, y, 0, null, N, V, IGNORE_INDEX);
            }
            assertEquals(means[0], means[1]);
            assertArrayEquals(lse[0], lse[1]);
            assertArrayEquals(d[0], d[1]);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void allRowsIgnoredGivesNaNAndNoGradient() {
        float[] z = {1, 2, 3, 4};
        int[] y = {IGNORE_INDEX, IGNORE_INDEX};
        float[] lse = new float[2];
        assertTrue(Float.isNaN(CrossEntropy.forward(new float[2], 0, lse, 0, z, 0, y, 0, null, 2, 2, IGNORE_INDEX)));
        float[] dz = new float[4];
        CrossEntropy.backward(dz, 0, 1f, lse, 0, z, 0, y, 0, null, 2, 2, IGNORE_INDEX);
        assertArrayEquals(new float[4], dz);
    }

    @Test
    void aTargetOutsideTheClassesIsRejectedWithRowAndRange() {
        float[] z = new float[3 * 5];
        int[] y = {1, 5, 2};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.forward(new float[3], 0, new float[3], 0, z, 0, y, 0, null, 3, 5, IGNORE_INDEX));
        assertTrue(e.getMessage().contains("target 5 at row 1") && e.getMessage().contains("0..4"), e.getMessage());
        int[] negative = {1, -1, 2};
        assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.forward(new float[3], 0, new float[3], 0, z, 0, negative, 0, null, 3, 5, IGNORE_INDEX));
    }
}
