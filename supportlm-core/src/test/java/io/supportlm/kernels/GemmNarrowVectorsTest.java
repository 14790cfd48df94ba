package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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
            try {
                // Partial row and column panels, two depth blocks, LoRA-like rank 16, the split by rows.
                int[][] shapes = {{101, 800, 200}, {101, 300, 16}, {101, 16, 300}, {13, 17, 9}, {300, 40, 20}};
                for (int threads : new int[] {1, 2}) {
                    Parallel.setThreads(threads);
                    for (int[] s : shapes) {
                        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                            LinearTest.productsMatchTheScalarProduct(dtype, s[0], s[1], s[2]);
                        }
                    }
                }
            } catch (AssertionError e) {
                System.out.println(e.getMessage());
                System.exit(1);
            }
            System.out.println("ok");
        }
    }
}
