package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.Parallel;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DropoutTest {
    private static float[] ones(int n) {
        float[] a = new float[n];
        Arrays.fill(a, 1f);
        return a;
    }

    @Test
    void sameSeedGivesTheSameMaskAndAnotherSeedAnother() {
        int n = 1000;
        float[] x = ones(n);
        float[] a = new float[n];
        float[] b = new float[n];
        float[] c = new float[n];
        Dropout.forward(a, 0, x, 0, n, 0.3f, 42);
        Dropout.forward(b, 0, x, 0, n, 0.3f, 42);
        Dropout.forward(c, 0, x, 0, n, 0.3f, 43);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        // Seeds derived for another step or another site give other masks.
        float[] step0 = new float[n];
        float[] step1 = new float[n];
        float[] site1 = new float[n];
        Dropout.forward(step0, 0, x, 0, n, 0.3f, Dropout.seed(1, 0, 0));
        Dropout.forward(step1, 0, x, 0, n, 0.3f, Dropout.seed(1, 1, 0));
        Dropout.forward(site1, 0, x, 0, n, 0.3f, Dropout.seed(1, 0, 1));
        assertFalse(Arrays.equals(step0, step1));
        assertFalse(Arrays.equals(step0, site1));
    }

    @Test
    void outputIsZeroOrTheScaledInputAndPreservesTheMean() {
        int n = 200_003;
        float p = 0.1f;
        float[] x = ones(n);
        float[] out = new float[n];
        Dropout.forward(out, 0, x, 0, n, p, 7);
        int dropped = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (out[i] == 0) {
                dropped++;
                assertFalse(Dropout.keeps(7, i, p));
            } else {
                assertEquals(1 / (1 - p), out[i], 0f);
                assertTrue(Dropout.keeps(7, i, p));
            }
            sum += out[i];
        }
        assertEquals(p, dropped / (double) n, 0.005);
        assertEquals(1.0, sum / n, 0.01);
    }

    @Test
    void probabilityZeroIsTheIdentity() {
        float[] x = randomFloats(new Random(1), 37, 2f);
        float[] out = new float[37];
        Dropout.forward(out, 0, x, 0, 37, 0f, 5);
        assertArrayEquals(x, out);
        float[] d = new float[37];
        Dropout.backward(d, 0, x, 0, 37, 0f, 5);
        assertArrayEquals(x, d);
    }

    @Test
    void maskDoesNotDependOnThreadCountOrVectorPath() {
        int n = Work.MIN_PARALLEL * 2 + 13;
        float[] x = randomFloats(new Random(2), n, 1f);
        float[] scalar = new float[n];
        Dropout.forwardScalar(scalar, 0, x, 0, n, 0.25f, 99);
        float[] scalarGrad = new float[n];
        Dropout.backwardScalar(scalarGrad, 0, x, 0, n, 0.25f, 99);
        int saved = Parallel.threads();
        try {
            for (int threads : new int[] {1, 3}) {
                Parallel.setThreads(threads);
                float[] out = new float[n];
                Dropout.forward(out, 0, x, 0, n, 0.25f, 99);
                assertArrayEquals(scalar, out, "forward, threads=" + threads);
                float[] grad = new float[n];
                Dropout.backward(grad, 0, x, 0, n, 0.25f, 99);
                assertArrayEquals(scalarGrad, grad, "backward, threads=" + threads);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        float p = 0.4f;
        long seed = 1234;
        for (int n : new int[] {1, 7, 19, 33}) {
            float[] x = randomFloats(rng, n, 1f);
            float[] g = randomFloats(rng, n, 1f);
            float[] before = randomFloats(rng, n, 1f);
            float[] d = before.clone();
            Dropout.backward(d, 0, g, 0, n, p, seed);
            GradCheck.assertGradient("dropout n=" + n, LayerNormTest.minus(d, before), toDouble(x), v -> {
                double loss = 0;
                for (int i = 0; i < n; i++) {
                    loss += (Dropout.keeps(seed, i, p) ? v[i] / (1 - (double) p) : 0) * g[i];
                }
                return loss;
            });
        }
    }

    @Test
    void probabilityOutsideZeroToOneIsRejected() {
        float[] a = new float[4];
        assertThrows(IllegalArgumentException.class, () -> Dropout.forward(a, 0, a, 0, 4, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> Dropout.forward(a, 0, a, 0, 4, -0.1f, 0));
        assertThrows(IllegalArgumentException.class, () -> Dropout.backward(a, 0, a, 0, 4, Float.NaN, 0));
    }
}
