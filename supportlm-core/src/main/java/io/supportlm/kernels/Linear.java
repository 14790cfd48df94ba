package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Shape;
import io.supportlm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;

/**
 * A linear layer as Hugging Face stores it: weight {@code W} is {@code [out, in]} = (N, K),
 * {@code y = x·Wᵀ + b} for {@code x} (M, K) and {@code y} (M, N), with M = B·T tokens.
 *
 * <p>Backward (see e.g. llm.c's {@code matmul_backward}): {@code dX += dY·W}, {@code dW += dYᵀ·X},
 * {@code db += Σ_rows dY}. All three products go through {@link Gemm}; the weight may be f32, bf16
 * or f16, on the heap or memory-mapped, or quantized (NF4, INT8: a QLoRA base, for which only
 * {@code dX} exists), and is only ever read.
 */
public final class Linear {
    private Linear() {}

    /** {@code out (M,N) = inp (M,K) · weightᵀ + bias}; {@code bias} (N) may be null. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, Tensor weight, float[] bias,
                               int M, int K, int N) {
        checkWeight(weight, N, K);
        fillWithBias(out, outOff, bias, M, N);
        Gemm.multiplyAdd(M, N, K, Gemm.Strided.rowMajor(inp, inpOff, K), Gemm.Operand.of(weight, true), out, outOff, N);
    }

    /** {@code out (M,N) = inp (M,K) · dequant(weight)ᵀ + bias}, dequantizing inside the product. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, QuantizedTensor weight, float[] bias,
                               int M, int K, int N) {
        checkWeight(weight.shape(), N, K);
        fillWithBias(out, outOff, bias, M, N);
        Gemm.multiplyAdd(M, N, K, Gemm.Strided.rowMajor(inp, inpOff, K), Gemm.Operand.of(weight, true), out, outOff, N);
    }

    /** {@code dX (M,K) += dY (M,N) · dequant(weight) (N,K)}: a frozen quantized weight's only gradient. */
    public static void backwardInput(float[] dInp, int dInpOff, float[] dOut, int dOutOff, QuantizedTensor weight,
                                     int M, int K, int N) {
        checkWeight(weight.shape(), N, K);
        Gemm.multiplyAdd(M, K, N, Gemm.Strided.rowMajor(dOut, dOutOff, N), Gemm.Operand.of(weight, false),
                dInp, dInpOff, K);
    }

    /**
     * Accumulates the gradients of a linear layer. Any of {@code dInp}, {@code dWeight} (N·K,
     * row-major like the weight) and {@code dBias} may be null to skip it (a frozen weight has no
     * {@code dWeight}).
     */
    public static void backward(float[] dInp, int dInpOff, float[] dWeight, float[] dBias,
                                float[] dOut, int dOutOff, float[] inp, int inpOff, Tensor weight,
                                int M, int K, int N) {
        checkWeight(weight, N, K);
        if (dInp != null) {
            // dX (M,K) += dY (M,N) · W (N,K)
            Gemm.multiplyAdd(M, K, N, Gemm.Strided.rowMajor(dOut, dOutOff, N), Gemm.Operand.of(weight, false),
                    dInp, dInpOff, K);
        }
        if (dWeight != null) {
            // dW (N,K) += dYᵀ (N,M) · X (M,K)
            Gemm.multiplyAdd(N, K, M, Gemm.Strided.transposed(dOut, dOutOff, N),
                    Gemm.Operand.of(Tensor.wrap(inp, inp.length), false).withOffset(inpOff, K),
                    dWeight, 0, K);
        }
        if (dBias != null) {
            biasBackward(dBias, dOut, dOutOff, M, N);
        }
    }

    private static void fillWithBias(float[] out, int outOff, float[] bias, int M, int N) {
        for (int m = 0; m < M; m++) {
            int o = outOff + m * N;
            if (bias == null) {
                java.util.Arrays.fill(out, o, o + N, 0f);
            } else {
                System.arraycopy(bias, 0, out, o, N);
            }
        }
    }

    /** db[n] += Σ_m dY[m, n], parallel over columns so each sum runs in a fixed order. */
    static void biasBackward(float[] dBias, float[] dOut, int dOutOff, int M, int N) {
        Parallel.forRange(N, (n0, n1) -> {
            int n = n0;
            if (Simd.ENABLED) {
                for (; n + Simd.LANES <= n1; n += Simd.LANES) {
                    FloatVector acc = FloatVector.fromArray(Simd.F, dBias, n);
                    for (int m = 0; m < M; m++) {
                        acc = acc.add(FloatVector.fromArray(Simd.F, dOut, dOutOff + m * N + n));
                    }
                    acc.intoArray(dBias, n);
                }
            }
            for (; n < n1; n++) {
                float s = dBias[n];
                for (int m = 0; m < M; m++) {
                    s += dOut[dOutOff + m * N + n];
                }
                dBias[n] = s;
            }
        });
    }

    private static void checkWeight(Tensor weight, int N, int K) {
        checkWeight(weight.shape(), N, K);
    }

    private static void checkWeight(Shape shape, int N, int K) {
        if (shape.rank() != 2 || shape.dim(0) != N || shape.dim(1) != K) {
            throw new IllegalArgumentException("linear weight must be [out=" + N + ", in=" + K + "], got " + shape);
        }
    }

    /** The reference forward: a plain triple loop in the order of the definition. */
    public static void forwardScalar(float[] out, int outOff, float[] inp, int inpOff, Tensor weight, float[] bias,
                                     int M, int K, int N) {
        for (int m = 0; m < M; m++) {
            for (int n = 0; n < N; n++) {
                float s = bias == null ? 0f : bias[n];
                for (int k = 0; k < K; k++) {
                    s += inp[inpOff + m * K + k] * weight.getFloat((long) n * K + k);
                }
                out[outOff + m * N + n] = s;
            }
        }
    }
}
