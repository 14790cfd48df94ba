package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * LayerNorm over rows of length C, with weight and bias (GPT-2, BERT):
 *
 * <pre>
 *   μ = mean(x),  σ² = mean((x − μ)²),  r = 1/√(σ² + eps),  n = (x − μ) r
 *   y = n · w + b
 * </pre>
 *
 * forward saves μ and r per row. With g = dy · w (the gradient reaching n):
 *
 * <pre>
 *   dx += r (g − mean(g) − n · mean(g · n))
 *   dw += Σ_rows dy · n,   db += Σ_rows dy
 * </pre>
 *
 * (derivation: llm.c's doc/layernorm/layernorm.md). Rows run in parallel; the dw/db reduction runs
 * in parallel over channels, each channel summing its rows in order, so gradients are
 * bit-identical whatever the thread count. The variance is two-pass, which stays accurate for rows
 * with a large mean.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /** Normalizes N rows of C; saves mean and rstd (N each). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                               float[] inp, int inpOff, float[] weight, int weightOff, float[] bias, int biasOff,
                               int N, int C, float eps) {
        check(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, bias, biasOff, N, C);
        Work.rows(N, C, (from, to) -> {
            if (Simd.ENABLED) {
                forwardVector(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, bias, biasOff,
                        C, eps, from, to);
            } else {
                forwardRows(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, bias, biasOff,
                        C, eps, from, to);
            }
        });
    }

    /** Accumulates dInp (N×C), dWeight and dBias (C each) from dOut and what forward saved. */
    public static void backward(float[] dInp, int dInpOff, float[] dWeight, int dWeightOff, float[] dBias, int dBiasOff,
                                float[] dOut, int dOutOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                float[] inp, int inpOff, float[] weight, int weightOff, int N, int C) {
        check(dInp, dInpOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, dBias, dBiasOff, N, C);
        Work.checkRange("layernorm dOut", dOut, dOutOff, (long) N * C);
        Work.checkRange("layernorm dWeight", dWeight, dWeightOff, C);
        Work.rows(N, C, (from, to) -> {
            if (Simd.ENABLED) {
                backwardInputVector(dInp, dInpOff, dOut, dOutOff, mean, meanOff, rstd, rstdOff, inp, inpOff,
                        weight, weightOff, C, from, to);
            } else {
                backwardInputRows(dInp, dInpOff, dOut, dOutOff, mean, meanOff, rstd, rstdOff, inp, inpOff,
                        weight, weightOff, C, from, to);
            }
        });
        Work.columns(C, (long) N * C, (c0, c1) -> backwardParams(dWeight, dWeightOff, dBias, dBiasOff, dOut, dOutOff,
                mean, meanOff, rstd, rstdOff, inp, inpOff, N, C, c0, c1, Simd.ENABLED));
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static void forwardScalar(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                     float[] inp, int inpOff, float[] weight, int weightOff, float[] bias, int biasOff,
                                     int N, int C, float eps) {
        check(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, bias, biasOff, N, C);
        forwardRows(out, outOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, bias, biasOff,
                C, eps, 0, N);
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dInp, int dInpOff, float[] dWeight, int dWeightOff, float[] dBias,
                                      int dBiasOff, float[] dOut, int dOutOff, float[] mean, int meanOff, float[] rstd,
                                      int rstdOff, float[] inp, int inpOff, float[] weight, int weightOff, int N, int C) {
        check(dInp, dInpOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff, dBias, dBiasOff, N, C);
        Work.checkRange("layernorm dOut", dOut, dOutOff, (long) N * C);
        Work.checkRange("layernorm dWeight", dWeight, dWeightOff, C);
        backwardInputRows(dInp, dInpOff, dOut, dOutOff, mean, meanOff, rstd, rstdOff, inp, inpOff, weight, weightOff,
                C, 0, N);
        backwardParams(dWeight, dWeightOff, dBias, dBiasOff, dOut, dOutOff, mean, meanOff, rstd, rstdOff, inp, inpOff,
                N, C, 0, C, false);
    }

    private static void check(float[] rowsOut, int rowsOutOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                              float[] inp, int inpOff, float[] weight, int weightOff, float[] bias, int biasOff,
                              int N, int C) {
        if (N < 0 || C < 1) {
            throw new IllegalArgumentException("layernorm: needs N >= 0 rows of C >= 1 channels, got N=" + N + ", C=" + C);
        }
        long size = (long) N * C;
        Work.checkRange("layernorm out/dInp", rowsOut, rowsOutOff, size);
        Work.checkRange("layernorm inp", inp, inpOff, size);
        Work.checkRange("layernorm mean", mean, meanOff, N);
        Work.checkRange("layernorm rstd", rstd, rstdOff, N);
        Work.checkRange("layernorm weight", weight, weightOff, C);
        Work.checkRange("layernorm bias/dBias", bias, biasOff, C);
    }

    private static void forwardRows(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                    float[] inp, int inpOff, float[] weight, int weightOff, float[] bias, int biasOff,
                                    int C, float eps, int from, int to) {
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            float sum = 0;
            for (int c = 0; c < C; c++) {
                sum += inp[x0 + c];
            }
            float m = sum / C;
            float sq = 0;
            for (int c = 0; c < C; c++) {
                float d = inp[x0 + c] - m;
                sq = Math.fma(d, d, sq);
            }
            float r = 1 / (float) Math.sqrt(sq / C + eps);
            int y0 = outOff + row * C;
            for (int c = 0; c < C; c++) {
                float n = (inp[x0 + c] - m) * r;
                out[y0 + c] = Math.fma(n, weight[weightOff + c], bias[biasOff + c]);
            }
            mean[meanOff + row] = m;
            rstd[rstdOff + row] = r;
        }
    }

    private static void forwardVector(float[] out, int outOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                      float[] inp, int inpOff, float[] weight, int weightOff, float[] bias, int biasOff,
                                      int C, float eps, int from, int to) {
        int bound = F.loopBound(C);
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += LANES) {
                acc = acc.add(FloatVector.fromArray(F, inp, x0 + c));
            }
            float sum = Simd.sum(acc);
            for (; c < C; c++) {
                sum += inp[x0 + c];
            }
            float m = sum / C;
            acc = FloatVector.zero(F);
            for (c = 0; c < bound; c += LANES) {
                FloatVector d = FloatVector.fromArray(F, inp, x0 + c).sub(m);
                acc = d.fma(d, acc);
            }
            float sq = Simd.sum(acc);
            for (; c < C; c++) {
                float d = inp[x0 + c] - m;
                sq = Math.fma(d, d, sq);
            }
            float r = 1 / (float) Math.sqrt(sq / C + eps);
            int y0 = outOff + row * C;
            for (c = 0; c < bound; c += LANES) {
                FloatVector n = FloatVector.fromArray(F, inp, x0 + c).sub(m).mul(r);
                n.fma(FloatVector.fromArray(F, weight, weightOff + c), FloatVector.fromArray(F, bias, biasOff + c))
                        .intoArray(out, y0 + c);
            }
            for (; c < C; c++) {
                float n = (inp[x0 + c] - m) * r;
                out[y0 + c] = Math.fma(n, weight[weightOff + c], bias[biasOff + c]);
            }
            mean[meanOff + row] = m;
            rstd[rstdOff + row] = r;
        }
    }

    private static void backwardInputRows(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] mean,
                                          int meanOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                                          float[] weight, int weightOff, int C, int from, int to) {
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            int g0 = dOutOff + row * C;
            float m = mean[meanOff + row];
            float r = rstd[rstdOff + row];
            float sumG = 0;
            float sumGn = 0;
            for (int c = 0; c < C; c++) {
                float g = dOut[g0 + c] * weight[weightOff + c];
                sumG += g;
                sumGn = Math.fma(g, (inp[x0 + c] - m) * r, sumGn);
            }
            float meanG = sumG / C;
            float meanGn = sumGn / C;
            int d0 = dInpOff + row * C;
            for (int c = 0; c < C; c++) {
                float n = (inp[x0 + c] - m) * r;
                float g = dOut[g0 + c] * weight[weightOff + c];
                dInp[d0 + c] += (g - meanG - n * meanGn) * r;
            }
        }
    }

    private static void backwardInputVector(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] mean,
                                            int meanOff, float[] rstd, int rstdOff, float[] inp, int inpOff,
                                            float[] weight, int weightOff, int C, int from, int to) {
        int bound = F.loopBound(C);
        for (int row = from; row < to; row++) {
            int x0 = inpOff + row * C;
            int g0 = dOutOff + row * C;
            float m = mean[meanOff + row];
            float r = rstd[rstdOff + row];
            FloatVector accG = FloatVector.zero(F);
            FloatVector accGn = FloatVector.zero(F);
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector g = FloatVector.fromArray(F, dOut, g0 + c).mul(FloatVector.fromArray(F, weight, weightOff + c));
                FloatVector n = FloatVector.fromArray(F, inp, x0 + c).sub(m).mul(r);
                accG = accG.add(g);
                accGn = g.fma(n, accGn);
            }
            float sumG = Simd.sum(accG);
            float sumGn = Simd.sum(accGn);
            for (; c < C; c++) {
                float g = dOut[g0 + c] * weight[weightOff + c];
                sumG += g;
                sumGn = Math.fma(g, (inp[x0 + c] - m) * r, sumGn);
            }
            float meanG = sumG / C;
            float meanGn = sumGn / C;
            int d0 = dInpOff + row * C;
            for (c = 0; c < bound; c += LANES) {
                FloatVector g = FloatVector.fromArray(F, dOut, g0 + c).mul(FloatVector.fromArray(F, weight, weightOff + c));
                FloatVector n = FloatVector.fromArray(F, inp, x0 + c).sub(m).mul(r);
                FloatVector d = g.sub(meanG).sub(n.mul(meanGn)).mul(r);
                d.add(FloatVector.fromArray(F, dInp, d0 + c)).intoArray(dInp, d0 + c);
            }
            for (; c < C; c++) {
                float n = (inp[x0 + c] - m) * r;
                float g = dOut[g0 + c] * weight[weightOff + c];
                dInp[d0 + c] += (g - meanG - n * meanGn) * r;
            }
        }
    }

    /**
     * dWeight and dBias for channels [c0, c1), streaming the rows in order so that each channel
     * sums its rows in row order. The vector and scalar forms do the same operations per channel
     * (a fused multiply-add for dWeight, an add for dBias), so the result does not depend on which
     * channels take which path, nor on how the channels are split over threads.
     */
    private static void backwardParams(float[] dWeight, int dWeightOff, float[] dBias, int dBiasOff, float[] dOut,
                                       int dOutOff, float[] mean, int meanOff, float[] rstd, int rstdOff,
                                       float[] inp, int inpOff, int N, int C, int c0, int c1, boolean vector) {
        for (int row = 0; row < N; row++) {
            float m = mean[meanOff + row];
            float r = rstd[rstdOff + row];
            int g0 = dOutOff + row * C;
            int x0 = inpOff + row * C;
            int c = c0;
            if (vector) {
                for (; c + LANES <= c1; c += LANES) {
                    FloatVector g = FloatVector.fromArray(F, dOut, g0 + c);
                    FloatVector n = FloatVector.fromArray(F, inp, x0 + c).sub(m).mul(r);
                    g.fma(n, FloatVector.fromArray(F, dWeight, dWeightOff + c)).intoArray(dWeight, dWeightOff + c);
                    g.add(FloatVector.fromArray(F, dBias, dBiasOff + c)).intoArray(dBias, dBiasOff + c);
                }
            }
            for (; c < c1; c++) {
                float g = dOut[g0 + c];
                float n = (inp[x0 + c] - m) * r;
                dWeight[dWeightOff + c] = Math.fma(g, n, dWeight[dWeightOff + c]);
                dBias[dBiasOff + c] = g + dBias[dBiasOff + c];
            }
        }
    }
}
