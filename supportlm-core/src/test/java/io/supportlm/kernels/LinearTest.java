package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.assertGradient;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LinearTest {
    /** Double-precision reference: y = x·Wᵀ + b. */
    static double[] forwardDouble(double[] x, double[] w, double[] b, int M, int K, int N) {
        double[] y = new double[M * N];
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                double s = b == null ? 0 : b[n];
                for (int k = 0; k < K; k++) {
                    s += x[m * K + k] * w[n * K + k];
                }
                y[m * N + n] = s;
            }
        }
        return y;
    }

    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({"1,1,1", "1,7,3", "3,5,2", "7,19,33", "13,40,17", "6,32,64", "37,300,45"})
    void forwardMatchesTheDoubleReference(int M, int K, int N) {
        Random rng = new Random(M * 1000 + K * 10 + N);
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] b = randomFloats(rng, N, 1f);
        float[] y = new float[M * N];
        Linear.forward(y, 0, x, 0, Tensor.wrap(w, N, K), b, M, K, N);
        assertClose("y", y, forwardDouble(toDouble(x), toDouble(w), toDouble(b), M, K, N), 1e-5, 1e-5);
        float[] yScalar = new float[M * N];
        Linear.forwardScalar(yScalar, 0, x, 0, Tensor.wrap(w, N, K), b, M, K, N);
        assertClose("vector vs scalar", y, yScalar, 1e-5, 1e-5);
    }

    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({"1,1,1", "1,7,3", "3,5,2", "7,19,33", "9,17,40"})
    void backwardMatchesFiniteDifferences(int M, int K, int N) {
        Random rng = new Random(31 * M + 7 * K + N);
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] b = randomFloats(rng, N, 1f);
        float[] g = randomFloats(rng, M * N, 1f);
        float[] dx = new float[M * K];
        float[] dw = new float[N * K];
        float[] db = new float[N];
        Linear.backward(dx, 0, dw, db, g, 0, x, 0, Tensor.wrap(w, N, K), M, K, N);

        double[] xd = toDouble(x);
        double[] wd = toDouble(w);
        double[] bd = toDouble(b);
        assertGradient("dX", dx, xd, v -> GradCheck.dot(forwardDouble(v, wd, bd, M, K, N), g));
        assertGradient("dW", dw, wd, v -> GradCheck.dot(forwardDouble(xd, v, bd, M, K, N), g));
        assertGradient("db", db, bd, v -> GradCheck.dot(forwardDouble(xd, wd, v, M, K, N), g));
    }

    @Test
    void gradientsAccumulateIntoWhatIsAlreadyThere() {
        Random rng = new Random(5);
        int M = 4, K = 9, N = 11;
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] g = randomFloats(rng, M * N, 1f);
        float[] once = new float[M * K];
        float[] twice = new float[M * K];
        Linear.backward(once, 0, null, null, g, 0, x, 0, Tensor.wrap(w, N, K), M, K, N);
        Linear.backward(twice, 0, null, null, g, 0, x, 0, Tensor.wrap(w, N, K), M, K, N);
        Linear.backward(twice, 0, null, null, g, 0, x, 0, Tensor.wrap(w, N, K), M, K, N);
        float[] doubled = once.clone();
        for (int i = 0; i < doubled.length; i++) {
            doubled[i] *= 2;
        }
        assertClose("dX after two calls", twice, doubled, 1e-6, 1e-6);
    }

    @ParameterizedTest(name = "{0} weights")
    @CsvSource({"BF16", "F16", "F32"})
    void mappedWeightsOfEachDtypeGiveTheSameProductAsTheirF32Values(DType dtype) {
        Random rng = new Random(11);
        int M = 20, K = 70, N = 45;
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] g = randomFloats(rng, M * N, 1f);
        try (Arena arena = Arena.ofShared()) {
            Tensor stored = Tensor.convert(w, dtype, arena, N, K);
            Tensor widened = Tensor.wrap(stored.toFloatArray(), N, K);
            float[] y = new float[M * N];
            float[] yRef = new float[M * N];
            Linear.forward(y, 0, x, 0, stored, null, M, K, N);
            Linear.forward(yRef, 0, x, 0, widened, null, M, K, N);
            assertClose("forward", y, yRef, 1e-6, 1e-6);
            float[] dx = new float[M * K];
            float[] dxRef = new float[M * K];
            Linear.backward(dx, 0, null, null, g, 0, x, 0, stored, M, K, N);
            Linear.backward(dxRef, 0, null, null, g, 0, x, 0, widened, M, K, N);
            assertClose("dX", dx, dxRef, 1e-6, 1e-6);
        }
    }

    private static float weightAt(Tensor w, int n, int k, int K) {
        return w.getFloat((long) n * K + k);
    }

    @ParameterizedTest(name = "{0} weights on {1} threads, M={2} K={3} N={4}")
    @CsvSource({"F32,2,101,800,200", "BF16,3,101,800,200", "F32,1,101,800,200", "F32,2,101,300,16", "BF16,2,101,16,300",
            "F32,3,13,17,9"})
    void productsWithAPackedOnceForAllThreadsOrReadInPlaceMatchTheScalarProduct(DType dtype, int threads, int M, int K, int N) {
        // N=200 spans several column tiles (the split goes by columns, A packed once for all
        // threads), K=800 two depth blocks, and M ends in a partial row panel. N=16 (forward) and
        // K=16 (dW) are LoRA's rank-r products, where A is read in place, not packed.
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(threads);
            productsMatchTheScalarProduct(dtype, M, K, N);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    /** Forward, dX and dW on the current threads against plain loops over the widened weights. */
    static void productsMatchTheScalarProduct(DType dtype, int M, int K, int N) {
        Random rng = new Random(5);
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] g = randomFloats(rng, M * N, 1f);
        try (Arena arena = Arena.ofShared()) {
            Tensor stored = Tensor.convert(w, dtype, arena, N, K);
            Tensor widened = Tensor.wrap(stored.toFloatArray(), N, K);
            float[] y = new float[M * N];
            float[] yRef = new float[M * N];
            Linear.forward(y, 0, x, 0, stored, null, M, K, N);
            Linear.forwardScalar(yRef, 0, x, 0, widened, null, M, K, N);
            String where = " (" + dtype + ", M=" + M + " K=" + K + " N=" + N + ", " + Parallel.threads() + " threads)";
            assertClose("forward" + where, y, yRef, 1e-5, 1e-5);
            float[] dx = new float[M * K];
            float[] dw = new float[N * K];
            float[] dxRef = new float[M * K];
            float[] dwRef = new float[N * K];
            Linear.backward(dx, 0, dw, null, g, 0, x, 0, widened, M, K, N);
            for (int m = 0; m < M; m++) { // dX = dY·W, dW = dYᵀ·X in plain loops
                for (int n = 0; n < N; n++) {
                    for (int k = 0; k < K; k++) {
                        dxRef[m * K + k] += g[m * N + n] * weightAt(widened, n, k, K);
                        dwRef[n * K + k] += g[m * N + n] * x[m * K + k];
                    }
                }
            }
            assertClose("dX" + where, dx, dxRef, 1e-5, 1e-5);
            assertClose("dW" + where, dw, dwRef, 1e-5, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0} weights, M={1}")
    @CsvSource({"F32,1", "BF16,1", "F16,2", "BF16,4", "F32,4"})
    void decodingRowsSkipPackingAndStillMatchTheReference(DType dtype, int M) {
        Random rng = new Random(13);
        int K = 77, N = 41;
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        try (Arena arena = Arena.ofShared()) {
            Tensor stored = Tensor.convert(w, dtype, arena, N, K);
            float[] y = new float[M * N];
            Linear.forward(y, 0, x, 0, stored, null, M, K, N);
            float[] expected = new float[M * N];
            Linear.forwardScalar(expected, 0, x, 0, stored, null, M, K, N);
            assertClose("small-M forward", y, expected, 1e-5, 1e-5);
        }
    }

    @Test
    void resultsAreBitIdenticalAcrossRunsForAThreadCount() {
        Random rng = new Random(3);
        int M = 130, K = 300, N = 100;
        float[] x = randomFloats(rng, M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] g = randomFloats(rng, M * N, 1f);
        float[][] runs = new float[2][];
        for (int r = 0; r < 2; r++) {
            float[] y = new float[M * N];
            float[] dw = new float[N * K];
            Linear.forward(y, 0, x, 0, Tensor.wrap(w, N, K), null, M, K, N);
            Linear.backward(null, 0, dw, null, g, 0, x, 0, Tensor.wrap(w, N, K), M, K, N);
            float[] all = new float[y.length + dw.length];
            System.arraycopy(y, 0, all, 0, y.length);
            System.arraycopy(dw, 0, all, y.length, dw.length);
            runs[r] = all;
        }
        assertArrayEquals(runs[0], runs[1]);
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] y1 = new float[M * N];
            Linear.forward(y1, 0, x, 0, Tensor.wrap(w, N, K), null, M, K, N);
            // The sum over K runs in the same blocked order for any thread count.
            assertArrayEquals(java.util.Arrays.copyOf(runs[0], M * N), y1);
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void aWeightOfTheWrongShapeIsRejectedWithBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Linear.forward(new float[6], 0, new float[6], 0, Tensor.zeros(3, 2), null, 2, 3, 3));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[out=3, in=3]"), e.getMessage());
    }

    @Test
    void slicesAtOffsetsReadAndWriteOnlyTheirRows() {
        Random rng = new Random(8);
        int M = 3, K = 5, N = 4;
        float[] x = randomFloats(rng, 2 * M * K, 1f);
        float[] w = randomFloats(rng, N * K, 1f);
        float[] y = new float[2 * M * N];
        java.util.Arrays.fill(y, 42f);
        Linear.forward(y, M * N, x, M * K, Tensor.wrap(w, N, K), null, M, K, N);
        for (int i = 0; i < M * N; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(42f, y[i]);
        }
        float[] expected = new float[M * N];
        Linear.forwardScalar(expected, 0, java.util.Arrays.copyOfRange(x, M * K, 2 * M * K), 0, Tensor.wrap(w, N, K), null, M, K, N);
        assertClose("second slice", java.util.Arrays.copyOfRange(y, M * N, 2 * M * N), expected, 1e-5, 1e-5);
    }
}
