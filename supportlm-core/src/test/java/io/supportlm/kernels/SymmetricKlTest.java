package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SymmetricKlTest {
    /** ½ (KL(p‖q) + KL(q‖p)) averaged over rows, written out from the definition in double. */
    static double reference(double[] a, double[] b, int N, int V) {
        double total = 0;
        for (int i = 0; i < N; i++) {
            double[] p = softmax(a, i * V, V);
            double[] q = softmax(b, i * V, V);
            double pq = 0, qp = 0;
            for (int j = 0; j < V; j++) {
                pq += p[j] * Math.log(p[j] / q[j]);
                qp += q[j] * Math.log(q[j] / p[j]);
            }
            total += 0.5 * (pq + qp);
        }
        return total / N;
    }

    private static double[] softmax(double[] z, int off, int V) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < V; j++) {
            max = Math.max(max, z[off + j]);
        }
        double[] p = new double[V];
        double s = 0;
        for (int j = 0; j < V; j++) {
            p[j] = Math.exp(z[off + j] - max);
            s += p[j];
        }
        for (int j = 0; j < V; j++) {
            p[j] /= s;
        }
        return p;
    }

    @Test
    void forwardIsTheMeanSymmetricDivergence() {
        Random rng = new Random(1);
        int N = 3, V = 7;
        float[] a = randomFloats(rng, N * V, 2f);
        float[] b = randomFloats(rng, N * V, 2f);
        float[] rows = new float[N];
        float mean = SymmetricKl.forward(rows, 0, a, 0, b, 0, N, V);
        assertEquals(reference(toDouble(a), toDouble(b), N, V), mean, 1e-6);
        assertEquals((rows[0] + rows[1] + rows[2]) / 3, mean, 1e-6);
        // symmetric in its arguments, zero for identical rows, and blind to a constant shift of a row
        assertEquals(mean, SymmetricKl.forward(new float[N], 0, b, 0, a, 0, N, V), 1e-7);
        assertEquals(0f, SymmetricKl.forward(new float[N], 0, a, 0, a.clone(), 0, N, V), 0f);
        float[] shifted = a.clone();
        for (int j = 0; j < V; j++) {
            shifted[V + j] += 40f;
        }
        assertEquals(mean, SymmetricKl.forward(new float[N], 0, shifted, 0, b, 0, N, V), 1e-5);
    }

    @Test
    void backwardMatchesFiniteDifferencesOnBothSides() {
        Random rng = new Random(2);
        float dLoss = 1.3f;
        for (int[] s : new int[][] {{1, 2}, {2, 5}, {4, 77}}) {
            int N = s[0], V = s[1];
            // both halves in one array, as the classifier stores a doubled batch's logits
            float[] z = randomFloats(rng, 2 * N * V, 3f);
            float[] before = randomFloats(rng, 2 * N * V, 1f);
            float[] dz = before.clone();
            SymmetricKl.backward(dz, 0, dz, N * V, dLoss, z, 0, z, N * V, N, V);
            GradCheck.assertGradient("dLogits N=" + N + " V=" + V, LayerNormTest.minus(dz, before), toDouble(z), x -> {
                double[] a = java.util.Arrays.copyOfRange(x, 0, N * V);
                double[] b = java.util.Arrays.copyOfRange(x, N * V, 2 * N * V);
                return dLoss * reference(a, b, N, V);
            }, 1e-3, 1e-6);
        }
    }

    @Test
    void nearlyCertainRowsStayFinite() {
        // softmax of ±60 underflows in f32 and in exp(): the divergence comes from log-probabilities
        float[] a = {60f, -60f, 0f};
        float[] b = {-60f, 60f, 0f};
        float[] da = new float[3];
        float[] db = new float[3];
        float loss = SymmetricKl.forward(new float[1], 0, a, 0, b, 0, 1, 3);
        SymmetricKl.backward(da, 0, db, 0, 1f, a, 0, b, 0, 1, 3);
        assertEquals(120f, loss, 1e-3f); // ½ (120 + 120)
        for (int j = 0; j < 3; j++) {
            assertTrue(Float.isFinite(da[j]) && Float.isFinite(db[j]), "gradient " + j + ": " + da[j] + ", " + db[j]);
        }
    }
}
