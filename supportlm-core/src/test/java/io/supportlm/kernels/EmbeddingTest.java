package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddingTest {
    private static int[] randomIds(Random rng, int n, int V) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rng.nextInt(V);
        }
        return ids;
    }

    @Test
    void forwardCopiesTheRowOfEachToken() {
        int B = 2, T = 3, C = 19, V = 11;
        Random rng = new Random(1);
        float[] wte = randomFloats(rng, V * C + 5, 1f);
        int[] ids = {4, 0, 10, 4, 7, 1};
        float[] out = new float[B * T * C + 2];
        Embedding.forward(out, 2, ids, 0, wte, 5, B, T, C, V);
        for (int i = 0; i < B * T; i++) {
            for (int c = 0; c < C; c++) {
                assertEquals(wte[5 + ids[i] * C + c], out[2 + i * C + c], "position " + i + " channel " + c);
            }
        }
        float[] scalar = new float[B * T * C + 2];
        Embedding.forwardScalar(scalar, 2, ids, 0, wte, 5, B, T, C, V);
        assertArrayEquals(scalar, out);
    }

    @Test
    void forwardReadsF32Bf16AndF16Tables() {
        Random rng = new Random(2);
        for (int C : new int[] {7, 19, 33, 40}) {
            int V = 9, B = 2, T = 5;
            float[] values = randomFloats(rng, V * C, 3f);
            int[] ids = randomIds(rng, B * T, V);
            try (Arena arena = Arena.ofConfined()) {
                for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                    Tensor wte = Tensor.convert(values, dtype, arena, V, C);
                    float[] out = new float[B * T * C];
                    Embedding.forward(out, 0, ids, 0, wte, B, T);
                    for (int i = 0; i < B * T; i++) {
                        for (int c = 0; c < C; c++) {
                            assertEquals(wte.getFloat((long) ids[i] * C + c), out[i * C + c],
                                    dtype + " C=" + C + " position " + i + " channel " + c);
                        }
                    }
                }
            }
            float[] out = new float[B * T * C];
            Embedding.forward(out, 0, ids, 0, Tensor.wrap(values, V, C), B, T);
            assertEquals(values[ids[3] * C + 1], out[3 * C + 1]);
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(3);
        for (int[] s : new int[][] {{1, 1, 7, 5}, {2, 3, 19, 4}, {1, 6, 33, 3}}) {
            int B = s[0], T = s[1], C = s[2], V = s[3];
            int N = B * T;
            int[] ids = randomIds(rng, N, V); // V smaller than N: repeated ids must accumulate
            float[] g = randomFloats(rng, N * C, 1f);
            float[] wte = randomFloats(rng, V * C, 1f);
            float[] before = randomFloats(rng, V * C, 1f);
            float[] dWte = before.clone();
            Embedding.backward(dWte, 0, g, 0, ids, 0, B, T, C, V);
            GradCheck.assertGradient("dWte C=" + C, LayerNormTest.minus(dWte, before), toDouble(wte), w -> {
                double loss = 0;
                for (int i = 0; i < N; i++) {
                    for (int c = 0; c < C; c++) {
                        loss += w[ids[i] * C + c] * g[i * C + c];
                    }
                }
                return loss;
            });
        }
    }

    @Test
    void backwardIsBitIdenticalAcrossPathsAndThreadCounts() {
        int B = 4, T = 64, C = 131, V = 50;
        Random rng = new Random(4);
        int[] ids = randomIds(rng, B * T, V);
        float[] g = randomFloats(rng, B * T * C, 1f);
        float[] scalar = new float[V * C];
        Embedding.backwardScalar(scalar, 0, g, 0, ids, 0, B, T, C, V);
        int saved = Parallel.threads();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                float[] dWte = new float[V * C];
                Embedding.backward(dWte, 0, g, 0, ids, 0, B, T, C, V);
                assertArrayEquals(scalar, dWte, "threads=" + threads);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void aTokenIdOutsideTheVocabularyIsNamedWithItsPosition() {
        int[] ids = {1, 2, 3, 50257};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Embedding.forward(new float[4 * 3], 0, ids, 0, new float[10 * 3], 0, 2, 2, 3, 10));
        String m = e.getMessage();
        assertTrue(m.contains("50257") && m.contains("b=1, t=1") && m.contains("10"), m);
        int[] negative = {-1, 0, 0, 0};
        assertThrows(IllegalArgumentException.class,
                () -> Embedding.backward(new float[10 * 3], 0, new float[4 * 3], 0, negative, 0, 2, 2, 3, 10));
    }
}
