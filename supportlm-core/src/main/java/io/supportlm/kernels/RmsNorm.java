package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * RMSNorm over rows of length C (Llama, Qwen, Mistral, Gemma):
 *
 * <pre>
 *   r = 1/√(mean(x²) + eps)   (in f32),   n = x · r,   y = n · w'
 *   w' = w        (Llama, Qwen: unitOffset = false)
 *   w' = 1 + w    (Gemma, whose checkpoints store w − 1: unitOffset = true)
 * </pre>
 *
 * forward saves r per row. Backward, with g = dy · w':
 *
 * <pre>
 *   dx += r (g − n · mean(g · n))
 *   dw += Σ_rows dy · n            (the same for both variants: d(1 + w)/dw = 1)
 * </pre>
 *
 * The row length is a parameter, so a per-head norm (Qwen3's and Gemma 3's q_norm/k_norm over
 * each head vector of HS with a weight of HS) is the same call with N = B·T·NH rows of C = HS.
 * Rows run in parallel; dw is reduced in parallel over channels, each channel summing its rows in
 * order, so gradients are bit-identical whatever the thread count.
 */
public final class RmsNorm {
    private RmsNorm() {}

    /** Normalizes N rows of C; saves rstd (N). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                               float[] weight, int weightOff, int N, int C, float eps, boolean unitOffset) {
        check(out, outOff, rstd, rstdOff, inp, inpOff, weight, weightOff, N, C);
        float shift = unitOffset ? 1f : 0f;
        Work.rows(N, C, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, rstd, rstdOff, inp, inpOff, weight, weightOff, C, eps, shift, from, to);
            } else {
                forwardRows(out, outOff, rstd, rstdOff, inp, inpOff, weight, weightOff, C, eps, shift, from, to);
            }
        });
    }

    /** Accumulates dInp (N×C) and dWeight (C) from dOut, the saved rstd, the input and the weight. */
    public static void backward(float[] dInp, int dInpOff, float[] dWeight, int dWeightOff, float[] dOut, int dOutOff,
                                float[] rstd, int rstdOff, float[] inp, int inpOff, float[] weight, int weightOff,
                                int N, int C, boolean unitOffset) {
        check(dInp, dInpOff, rstd, rstdOff, inp, inpOff, weight, weightOff, N, C);
        Work.checkRange("rmsnorm dOut", dOut, dOutOff, (long) N * C);
        Work.checkRange("rmsnorm dWeight", dWeight, dWeightOff, C);
        float shift = unitOffset ? 1f : 0f;
        Work.rows(N, C, (from, to) -> {
            if (Simd.ENABLED) {
                backwardInputVector(dInp, dInpOff, dOut, dOutOff, rstd, rstdOff, inp, inpOff, weight, weightOff,
                        C, shift, from, to);
            } else {
                backwardInputRows(dInp, dInpOff, dOut, dOutOff, rstd, rstdOff, inp, inpOff, weight, weightOff,
                        C, shift, from, to);
            }
        });
        Work.columns(C, (long) N * C, (c0, c1) -> backwardWeight(dWeight, dWeightOff, dOut, dOutOff, rstd, rstdOff,
                inp, inpOff, N, C, c0, c1, Simd.ENABLED));
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static void forwardScalar(float[] out, int outOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                                     float[] weight, int weightOff, int N, int C, float eps, boolean unitOffset) {
        check(out, outOff, rstd, rstdOff, inp, inpOff, weight, weightOff, N, C);
        forwardRows(out, outOff, rstd, rstdOff, inp, inpOff, weight, weightOff, C, eps, unitOffset ? 1f : 0f, 0, N);
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dInp, int dInpOff, float[] dWeight, int dWeightOff, float[] dOut,
                                      int dOutOff, float[] rstd, int rstdOff, float[] inp, int inpOff, float[] weight,
                                      int weightOff, int N, int C, boolean unitOffset) {
        check(dInp, dInpOff, rstd, rstdOff, inp, inpOff, weight, weightOff, N, C);
        Work.checkRange("rmsnorm dOut", dOut, dOutOff, (long) N * C);
        Work.checkRange("rmsnorm dWeight", dWeight, dWeightOff, C);
        backwardInputRows(dInp, dInpOff, dOut, dOutOff, rstd, rstdOff, inp, inpOff, weight, weightOff, C,
                unitOffset ? 1f : 0f, 0, N);
        backwardWeight(dWeight, dWeightOff, dOut, dOutOff, rstd, rstdOff, inp, inpOff, N, C, 0, C, false);
    }

    private static void check(float[] rowsOut, int rowsOutOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                              float[] weight, int weightOff, int N, int C) {
        if (N < 0 || C < 1) {
            throw new IllegalArgumentException("rmsnorm: needs N >= 0 rows of C >= 1 channels, got N=" + N + ", C=" + C);
        }
        long size = (long) N * C;
        Work.checkRange("rmsnorm out/dInp", rowsOut, rowsOutOff, size);
        Work.checkRange("rmsnorm inp", inp, inpOff, size);
        Work.checkRange("rmsnorm rstd", rstd, rstdOff, N);
        Work.checkRange("rmsnorm weight", weight, weightOff, C);
    }

    private static void forwardRows(float[] out, int outOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                                    float[] weight, int weightOff, int C, float eps, float shift, int from, int to) {
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            float sq = 0;
            for (int c = 0; c < C; c++) {
                float x = inp[x0 + c];
                sq = Math.fma(x, x, sq);
            }
            float r = 1 / (float) Math.sqrt(sq / C + eps);
            int y0 = outOff + row * C;
            for (int c = 0; c < C; c++) {
                out[y0 + c] = inp[x0 + c] * r * (weight[weightOff + c] + shift);
            }
            rstd[rstdOff + row] = r;
        }
    }

    private static void forwardVector(float[] out, int outOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                                      float[] weight, int weightOff, int C, float eps, float shift, int from, int to) {
        int bound = F.loopBound(C);
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector x = FloatVector.fromArray(F, inp, x0 + c);
                acc = x.fma(x, acc);
            }
            float sq = Simd.sum(acc);
            for (; c < C; c++) {
                float x = inp[x0 + c];
                sq = Math.fma(x, x, sq);
            }
            float r = 1 / (float) Math.sqrt(sq / C + eps);
            int y0 = outOff + row * C;
            for (c = 0; c < bound; c += LANES) {
                FloatVector w = FloatVector.fromArray(F, weight, weightOff + c).add(shift);
                FloatVector.fromArray(F, inp, x0 + c).mul(r).mul(w).intoArray(out, y0 + c);
            }
            for (; c < C; c++) {
                out[y0 + c] = inp[x0 + c] * r * (weight[weightOff + c] + shift);
            }
            rstd[rstdOff + row] = r;
        }
    }

    private static void backwardInputRows(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] rstd,
                                          int rstdOff, float[] inp, int inpOff, float[] weight, int weightOff,
                                          int C, float shift, int from, int to) {
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            int g0 = dOutOff + row * C;
            float r = rstd[rstdOff + row];
            float sumGn = 0;
            for (int c = 0; c < C; c++) {
                float g = dOut[g0 + c] * (weight[weightOff + c] + shift);
                sumGn = Math.fma(g, inp[x0 + c] * r, sumGn);
            }
            float meanGn = sumGn / C;
            int d0 = dInpOff + row * C;
            for (int c = 0; c < C; c++) {
                float g = dOut[g0 + c] * (weight[weightOff + c] + shift);
                float n = inp[x0 + c] * r;
                dInp[d0 + c] += (g - n * meanGn) * r;
            }
        }
    }

    private static void backwardInputVector(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] rstd,
                                            int rstdOff, float[] inp, int inpOff, float[] weight, int weightOff,
                                            int C, float shift, int from, int to) {
        int bound = F.loopBound(C);
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            int g0 = dOutOff + row * C;
            float r = rstd[rstdOff + row];
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector g = FloatVector.fromArray(F, dOut, g0 + c)
                        .mul(FloatVector.fromArray(F, weight, weightOff + c).add(shift));
                acc = g.fma(FloatVector.fromArray(F, inp, x0 + c).mul(r), acc);
            }
            float sumGn = Simd.sum(acc);
            for (; c < C; c++) {
                float g = dOut[g0 + c] * (weight[weightOff + c] + shift);
                sumGn = Math.fma(g, inp[x0 + c] * r, sumGn);
            }
            float meanGn = sumGn / C;
            int d0 = dInpOff + row * C;
            for (c = 0; c < bound; c += LANES) {
                FloatVector g = FloatVector.fromArray(F, dOut, g0 + c)
                        .mul(FloatVector.fromArray(F, weight, weightOff + c).add(shift));
                FloatVector n = FloatVector.fromArray(F, inp, x0 + c).mul(r);
                g.sub(n.mul(meanGn)).mul(r).add(FloatVector.fromArray(F, dInp, d0 + c)).intoArray(dInp, d0 + c);
            }
            for (; c < C; c++) {
                float g = dOut[g0 + c] * (weight[weightOff + c] + shift);
                float n = inp[x0 + c] * r;
                dInp[d0 + c] += (g - n * meanGn) * r;
            }
        }
    }

    /** dWeight for channels [c0, c1), streaming rows in order (see LayerNorm's backwardParams). */
    private static void backwardWeight(float[] dWeight, int dWeightOff, float[] dOut, int dOutOff, float[] rstd,
                                       int rstdOff, float[] inp, int inpOff, int N, int C, int c0, int c1,
                                       boolean vector) {
        for (int row = 0; row < N; row++) {
            float r = rstd[rstdOff + row];
            int g0 = dOutOff + row * C;
            int x0 = inpOff + row * C;
            int c = c0;
            if (vector) {
                for (; c + LANES <= c1; c += LANES) {
                    FloatVector g = FloatVector.fromArray(F, dOut, g0 + c);
                    FloatVector n = FloatVector.fromArray(F, inp, x0 + c).mul(r);
                    g.fma(n, FloatVector.fromArray(F, dWeight, dWeightOff + c)).intoArray(dWeight, dWeightOff + c);
                }
            }
            for (; c < c1; c++) {
                dWeight[dWeightOff + c] = Math.fma(dOut[g0 + c], inp[x0 + c] * r, dWeight[dWeightOff + c]);
            }
        }
    }
}
