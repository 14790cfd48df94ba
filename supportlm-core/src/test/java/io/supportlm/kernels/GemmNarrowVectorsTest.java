package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The micro-kernel and packing paths for 8-lane vectors (AVX2: 6-row panels, no in-register
 * transposes), which a machine with AVX-512 never takes in process: a child JVM limited to AVX2
 * runs the products against the scalar reference.
 */
class GemmNarrowVectorsTest {
    @Test
    void withAvx2VectorsTheSixRowKernelGivesTheScalarProducts() throws IOException, InterruptedException {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "-XX:UseAVX is an x86 flag");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-XX:UseAVX=2", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), Products.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(true, p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
    }

    /** Runs in the child JVM: exits 1 with the first mismatch, 3 when the vectors are not 8 lanes wide. */
    static final class Products {
        public static void main(String[] args) {
            if (Simd.LANES != 8 || Gemm.MR != 6) {
                System.out.println("expected 8 lanes and 6-row panels, got " + Simd.LANES + " and " + Gemm.MR);
                System.exit(3);
            }
            // Partial row and column panels, two depth blocks, LoRA-like rank 16, the split by rows.
            int[][] shapes = {{101, 800, 200}, {101, 300, 16}, {101, 16, 300}, {13, 17, 9}, {300, 40, 20}};
            Random rng = new Random(5);
            try (Arena arena = Arena.ofShared()) {
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    for (int[] s : shapes) {
                        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                            check(rng, arena, dtype, s[0], s[1], s[2]);
                        }
                    }
                }
            }
            System.out.println("ok");
        }

        private static void check(Random rng, Arena arena, DType dtype, int M, int K, int N) {
            float[] x = GradCheck.randomFloats(rng, M * K, 1f);
            float[] w = GradCheck.randomFloats(rng, N * K, 1f);
            float[] g = GradCheck.randomFloats(rng, M * N, 1f);
            Tensor stored = Tensor.convert(w, dtype, arena, N, K);
            Tensor widened = Tensor.wrap(stored.toFloatArray(), N, K);
            float[] y = new float[M * N];
            float[] yRef = new float[M * N];
            Linear.forward(y, 0, x, 0, stored, null, M, K, N);
            Linear.forwardScalar(yRef, 0, x, 0, widened, null, M, K, N);
            float[] dx = new float[M * K];
            float[] dw = new float[N * K];
            float[] dxRef = new float[M * K];
            float[] dwRef = new float[N * K];
            Linear.backward(dx, 0, dw, null, g, 0, x, 0, widened, M, K, N);
            for (int m = 0; m < M; m++) {
                for (int n = 0; n < N; n++) {
                    for (int k = 0; k < K; k++) {
                        dxRef[m * K + k] += g[m * N + n] * widened.getFloat((long) n * K + k);
                        dwRef[n * K + k] += g[m * N + n] * x[m * K + k];
                    }
                }
            }
            String where = dtype + " M=" + M + " K=" + K + " N=" + N + " threads=" + Parallel.threads();
            same("forward " + where, y, yRef);
            same("dX " + where, dx, dxRef);
            same("dW " + where, dw, dwRef);
        }

        private static void same(String what, float[] actual, float[] expected) {
            for (int i = 0; i < actual.length; i++) {
                if (Math.abs(actual[i] - expected[i]) > 1e-4 + 1e-4 * Math.abs(expected[i])) {
                    System.out.println(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
                    System.exit(1);
                }
            }
        }
    }
}
