package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A quantized B operand is exactly its dequantized f32 matrix, in both layouts. */
class GemmQuantizedTest {
    static QuantizedTensor weight(QuantScheme scheme, int rows, int cols, long seed) {
        float[] w = randomFloats(new Random(seed), rows * cols, 1f);
        return QuantizedTensor.quantize("w", Tensor.wrap(w, rows, cols), scheme);
    }

    /**
     * Forward, {@code y (M,N) = x (M,K) · Wᵀ} with W (N,K): B read transposed. K over 256 spans
     * two packed depths; N over 2048 spans two column blocks.
     */
    @ParameterizedTest(name = "{0} M={1} K={2} N={3}")
    @CsvSource({"NF4,1,1,1", "NF4,5,7,3", "NF4,7,65,33", "NF4,13,300,47", "NF4,3,129,2100",
        "INT8,1,1,1", "INT8,7,65,33", "INT8,13,300,47"})
    void transposedQuantizedBEqualsItsDequantizedMatrix(QuantScheme scheme, int M, int K, int N) {
        QuantizedTensor w = weight(scheme, N, K, 31L * M + K + N);
        float[] x = randomFloats(new Random(M + K), M * K, 1f);
        float[] fromQuantized = new float[M * N];
        float[] fromDequantized = new float[M * N];
        Gemm.multiplyAdd(M, N, K, Gemm.Strided.rowMajor(x, 0, K), Gemm.Operand.of(w, true), fromQuantized, 0, N);
        Gemm.multiplyAdd(M, N, K, Gemm.Strided.rowMajor(x, 0, K), Gemm.Operand.of(Tensor.wrap(w.dequantize(), N, K), true),
                fromDequantized, 0, N);
        assertArrayEquals(fromDequantized, fromQuantized, "same packed panels, same summation order");
        float[] scalar = new float[M * N];
        Gemm.multiplyAddScalar(M, N, K, Gemm.Strided.rowMajor(x, 0, K), Gemm.Operand.of(w, true), scalar, 0, N);
        assertClose("vector vs scalar", fromQuantized, scalar, 1e-5, 1e-5);
    }

    /** dX, {@code dX (M,K) += dY (M,N) · W} with W (N,K): B read as stored. */
    @ParameterizedTest(name = "{0} M={1} K={2} N={3}")
    @CsvSource({"NF4,1,1,1", "NF4,5,7,3", "NF4,7,65,33", "NF4,9,47,300", "NF4,2,2100,5",
        "INT8,1,1,1", "INT8,7,65,33", "INT8,9,47,300"})
    void storedQuantizedBEqualsItsDequantizedMatrix(QuantScheme scheme, int M, int K, int N) {
        QuantizedTensor w = weight(scheme, N, K, 17L * M + K + N);
        float[] dy = randomFloats(new Random(M * 3 + N), M * N, 1f);
        float[] start = randomFloats(new Random(5), M * K, 1f); // accumulates into what is there
        float[] fromQuantized = start.clone();
        float[] fromDequantized = start.clone();
        Gemm.multiplyAdd(M, K, N, Gemm.Strided.rowMajor(dy, 0, N), Gemm.Operand.of(w, false), fromQuantized, 0, K);
        Gemm.multiplyAdd(M, K, N, Gemm.Strided.rowMajor(dy, 0, N), Gemm.Operand.of(Tensor.wrap(w.dequantize(), N, K), false),
                fromDequantized, 0, K);
        assertArrayEquals(fromDequantized, fromQuantized);
        float[] scalar = start.clone();
        Gemm.multiplyAddScalar(M, K, N, Gemm.Strided.rowMajor(dy, 0, N), Gemm.Operand.of(w, false), scalar, 0, K);
        assertClose("vector vs scalar", fromQuantized, scalar, 1e-5, 1e-5);
    }
}
