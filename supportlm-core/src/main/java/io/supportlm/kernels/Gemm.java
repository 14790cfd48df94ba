package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * General matrix multiply {@code C[M,N] += A[M,K] · B[K,N]}, the engine's one dense product.
 *
 * <p>The structure is BLIS's (Van Zee and van de Geijn, "BLIS: A Framework for Rapidly
 * Instantiating BLAS Functionality", 2015): B is packed into panels of {@link #NR} columns, A into
 * panels of {@link #MR} rows, and a register-blocked micro-kernel computes an MR×NR tile of C with
 * {@code 2·MR} vector accumulators, broadcasting one A element against two vectors of B per step.
 * Packing is where layout and storage type are resolved: A may be read transposed, and B may be a
 * transposed weight matrix stored in f32, bf16 or f16 (widened to f32 while packing) or quantized
 * to NF4 or INT8 (dequantized block by block while packing: the QLoRA base), so the micro-kernel
 * only ever sees contiguous f32. Storage is a small sealed type, {@link MatrixSource}.
 *
 * <p>Threads own disjoint column (or row) ranges of C and sum over K in a fixed order, so results
 * are bit-identical for a given thread count.
 */
public final class Gemm {
    private Gemm() {}

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;
    /**
     * Rows of A per micro-kernel call. With 16-lane vectors (AVX-512, 32 vector registers) 12: 24
     * accumulators, two B vectors and a broadcast fill 27 registers; against 6 rows it measured
     * 7-15% less time on the 135M shapes (2 threads, alternating in-process runs), each B vector
     * loaded feeding twelve FMAs instead of six; 14 rows measured the same as 12. With narrower
     * vectors (AVX2 has 16 registers) 6, BLIS's Haswell shape: 24 accumulators would spill.
     */
    static final int MR = L >= 16 ? 12 : 6;
    /** Rows per call of {@link #kernelDirect}, which reads A in place (six row offsets, twelve accumulators). */
    static final int DIRECT_MR = 6;
    /** Columns of B per micro-kernel call: two vectors. */
    static final int NR = 2 * L;
    /**
     * Depth of one packed panel. Deeper than BLIS's L1-sized choice (the B micro-panel, KC·NR
     * floats = 96 KB, streams from L2): each pass over the depth reads and writes every C tile, and
     * those tiles come from L3, while the micro-kernel's FMAs leave the L2 stream ample time
     * (two vector loads per 24 FMAs). Measured on the 135M shapes, 2 threads, alternating in-process runs: KC 768 took 9-14%
     * less time than 256 (1024 and whole-K panels fell in between).
     */
    static final int KC = 768;
    /** Rows of A packed at once (a multiple of MR): the packed block stays in L2. */
    static final int MC = 8 * MR;
    /** Columns of B packed at once (a multiple of NR): the packed block (KC·NC floats, 1.5 MB) stays in L2. */
    static final int NC = 16 * NR;

    /**
     * A strided view of an f32 matrix: element (i, k) is {@code data[offset + i·rowStride + k·colStride]}.
     * A row-major matrix has {@code colStride = 1}; its transpose swaps the strides.
     */
    public record Strided(float[] data, int offset, int rowStride, int colStride) {
        public static Strided rowMajor(float[] data, int offset, int cols) {
            return new Strided(data, offset, cols, 1);
        }

        public static Strided transposed(float[] data, int offset, int cols) {
            return new Strided(data, offset, 1, cols);
        }
    }

    /**
     * The B operand: a row-major matrix from a {@link MatrixSource} (a float tensor of any dtype,
     * heap or mapped, or a quantized weight), read either as stored
     * ({@code B[k][j] = src[offset + k·ld + j]}) or transposed ({@code B[k][j] = src[offset + j·ld + k]},
     * a Hugging Face weight {@code [out, in]} used as {@code Wᵀ}).
     */
    public record Operand(MatrixSource source, long offset, int ld, boolean transposed) {
        public static Operand of(Tensor t, boolean transposed) {
            return new Operand(new MatrixSource.Dense(t), 0, t.dim(-1), transposed);
        }

        /** A quantized weight, dequantized block by block while B is packed. */
        public static Operand of(QuantizedTensor q, boolean transposed) {
            return new Operand(new MatrixSource.Quantized(q), 0, q.dim(-1), transposed);
        }

        /** The same source read from element {@code offset} with leading dimension {@code ld}. */
        public Operand withOffset(long offset, int ld) {
            return new Operand(source, offset, ld, transposed);
        }
    }

    /** Per-thread packing buffers, grown on demand and reused (no allocation on the hot path). */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {
            new float[MC * KC], new float[KC * NC], new float[MR * NR], new float[KC], new float[L * KC]});

    /**
     * {@code C[M,N] += A[M,K] · B[K,N]} where C is row-major with leading dimension {@code ldc}.
     */
    public static void multiplyAdd(int M, int N, int K, Strided a, Operand b, float[] c, int cOff, int ldc) {
        if (M == 0 || N == 0 || K == 0) {
            return;
        }
        if (!Simd.ENABLED) {
            multiplyAddScalar(M, N, K, a, b, c, cOff, ldc);
            return;
        }
        if (M <= SMALL_M && b.transposed() && a.colStride() == 1) {
            rowDots(M, N, K, a, b, c, cOff, ldc);
            return;
        }
        // Split the larger side of C between threads, in whole micro-tiles.
        int rowTiles = (M + MR - 1) / MR;
        int colTiles = (N + NR - 1) / NR;
        if (colTiles >= rowTiles || colTiles >= 2 * Parallel.threads()) {
            // Every thread needs all of A: pack it once, together, instead of once per thread.
            float[] sharedA = Parallel.threads() > 1 && colTiles > 1 ? packAllA(M, K, a) : null;
            Parallel.forRange(colTiles, (t0, t1) -> {
                int j0 = t0 * NR;
                int j1 = Math.min(N, t1 * NR);
                blocked(0, M, j0, j1, K, a, sharedA, b, c, cOff, ldc);
            });
        } else {
            Parallel.forRange(rowTiles, (t0, t1) -> {
                int i0 = t0 * MR;
                int i1 = Math.min(M, t1 * MR);
                blocked(i0, i1, 0, N, K, a, null, b, c, cOff, ldc);
            });
        }
    }

    /**
     * Up to this many rows of A, a product against a transposed B (a weight {@code [out, in]}, the
     * forward of a linear layer: one token being decoded) skips packing, which would cost as much
     * as the product: each weight row is read once, widened, and dotted with every row of A.
     */
    static final int SMALL_M = 4;

    /** Widened weight rows for {@link #rowDots}, per thread. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code C[m][j] += A[m]·W[j]} for M ≤ {@link #SMALL_M}: threads split the output columns, each
     * dot runs over K in one fixed order, so results do not depend on the thread count.
     */
    private static void rowDots(int M, int N, int K, Strided a, Operand b, float[] c, int cOff, int ldc) {
        MatrixSource src = b.source();
        boolean heap = src instanceof MatrixSource.Dense d && d.tensor().isHeapF32();
        float[] heapArray = heap ? ((MatrixSource.Dense) src).tensor().array() : null;
        Parallel.forRange(N, (j0, j1) -> {
            float[] row = heapArray;
            if (!heap) {
                row = ROW.get();
                if (row.length < K) {
                    row = new float[K];
                    ROW.set(row);
                }
            }
            float[] scratch = SCRATCH.get()[0];
            for (int j = j0; j < j1; j++) {
                long start = b.offset() + (long) j * b.ld();
                int w = (int) start;
                if (!heap) {
                    src.readInto(start, K, row, 0, 1, scratch);
                    w = 0;
                }
                for (int m = 0; m < M; m++) {
                    c[cOff + m * ldc + j] += dot(a.data(), a.offset() + m * a.rowStride(), row, w, K);
                }
            }
        });
    }

    /** Σ x[i]·y[i] over n elements: four vector accumulators, then a fixed-order sum. */
    static float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F), s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            s0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), s0);
            s1 = FloatVector.fromArray(F, x, xOff + i + L).fma(FloatVector.fromArray(F, y, yOff + i + L), s1);
            s2 = FloatVector.fromArray(F, x, xOff + i + 2 * L).fma(FloatVector.fromArray(F, y, yOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(F, x, xOff + i + 3 * L).fma(FloatVector.fromArray(F, y, yOff + i + 3 * L), s3);
        }
        for (; i + L <= n; i += L) {
            s0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), s0);
        }
        float sum = Simd.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            sum += x[xOff + i] * y[yOff + i];
        }
        return sum;
    }

    /** A packed whole, per calling thread: shared read-only with the workers of one product. */
    private static final ThreadLocal<float[][]> SHARED_A = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * Packs all of A, the threads splitting its MR-row panels: depth block {@code pc} starts at
     * {@code pc · Mpad} (Mpad = M rounded up to MR), laid out as {@link #packA} lays out a block.
     */
    private static float[] packAllA(int M, int K, Strided a) {
        int panels = (M + MR - 1) / MR;
        int mPad = panels * MR;
        float[][] holder = SHARED_A.get();
        if (holder[0].length < mPad * K) {
            holder[0] = new float[mPad * K];
        }
        float[] packed = holder[0];
        Parallel.forRange(panels, (p0, p1) -> {
            for (int pc = 0; pc < K; pc += KC) {
                int kc = Math.min(KC, K - pc);
                int i0 = p0 * MR;
                packA(a, i0, Math.min(M, p1 * MR) - i0, pc, kc, packed, pc * mPad + p0 * kc * MR);
            }
        });
        return packed;
    }

    /**
     * The single-thread blocked product for rows [i0, i1) and columns [j0, j1) of C; A comes
     * packed whole ({@link #packAllA}, then i0 is 0) or is packed block by block here (null).
     */
    private static void blocked(int i0, int i1, int j0, int j1, int K, Strided a, float[] sharedA, Operand b, float[] c,
                                int cOff, int ldc) {
        int mPad = (i1 - i0 + MR - 1) / MR * MR;
        float[][] scratch = SCRATCH.get();
        float[] packedA = scratch[0];
        float[] packedB = scratch[1];
        float[] tile = scratch[2];
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < K; pc += KC) {
                int kc = Math.min(KC, K - pc);
                packB(b, pc, kc, jc, nc, packedB, scratch[3], scratch[4]);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    if (sharedA == null && nc <= NR) {
                        // One column panel: each element of A is used by a single micro-kernel call,
                        // so packing A would cost more than the product (LoRA's rank-r factors;
                        // measured 23% faster on LoRA r 16's three products for 2,048 tokens).
                        directRows(a, ic, mc, pc, kc, packedB, tile, nc, c, cOff + ic * ldc + jc, ldc);
                        continue;
                    }
                    float[] ap = packedA;
                    int aBase = 0;
                    if (sharedA == null) {
                        packA(a, ic, mc, pc, kc, packedA, 0);
                    } else {
                        ap = sharedA;
                        aBase = pc * mPad + (ic - i0) * kc;
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bOff = (jr / NR) * kc * NR;
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int aOff = aBase + (ir / MR) * kc * MR;
                            int cTile = cOff + (ic + ir) * ldc + jc + jr;
                            kernel(kc, ap, aOff, packedB, bOff, tile);
                            addTile(tile, mr, nr, c, cTile, ldc);
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code C[i0 + r][0..nr] += A[i0 + r][k0..k0+kc] · Bpanel} for r in [0, mc), A read where it
     * lies: rows past the block repeat its last row, and {@link #addTile} drops them.
     */
    private static void directRows(Strided a, int i0, int mc, int k0, int kc, float[] bp, float[] tile, int nr, float[] c,
                                   int cOff, int ldc) {
        int rs = a.rowStride(), cs = a.colStride();
        int base = a.offset() + k0 * cs;
        int last = i0 + mc - 1;
        for (int ir = 0; ir < mc; ir += DIRECT_MR) {
            int r0 = i0 + ir;
            kernelDirect(kc, a.data(), base + r0 * rs, base + Math.min(r0 + 1, last) * rs, base + Math.min(r0 + 2, last) * rs,
                    base + Math.min(r0 + 3, last) * rs, base + Math.min(r0 + 4, last) * rs, base + Math.min(r0 + 5, last) * rs,
                    cs, bp, 0, tile);
            addTile(tile, Math.min(DIRECT_MR, mc - ir), nr, c, cOff + ir * ldc, ldc);
        }
    }

    /**
     * Six rows of A against a B panel, A's rows read where they lie (row starts {@code o0..o5},
     * element stride {@code cs}): LoRA's rank-r products read A in place, and with 6-row panels
     * (vectors narrower than 16 lanes) this is also the micro-kernel over packed A
     * ({@code o_r = aOff + r}, {@code cs = 6}); a dedicated 6-row packed kernel measured 10% faster
     * on AVX-512, whose machines now run the 12-row one.
     */
    private static void kernelDirect(int kc, float[] a, int o0, int o1, int o2, int o3, int o4, int o5, int cs, float[] bp,
                                     int bOff, float[] tile) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        int bi = bOff;
        for (int k = 0, s = 0; k < kc; k++, s += cs, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi);
            FloatVector b1 = FloatVector.fromArray(F, bp, bi + L);
            FloatVector x = FloatVector.broadcast(F, a[o0 + s]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[o1 + s]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[o2 + s]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[o3 + s]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[o4 + s]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[o5 + s]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
    }

    /**
     * The micro-kernel: {@code C[0..MR, 0..NR] += Apanel · Bpanel} over depth kc. Apanel holds MR
     * values per k, Bpanel NR values per k. Its 24 accumulators live in registers throughout.
     */
    private static void kernel(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] tile) {
        if (MR == 6) {
            kernelDirect(kc, ap, aOff, aOff + 1, aOff + 2, aOff + 3, aOff + 4, aOff + 5, MR, bp, bOff, tile);
            return;
        }
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        FloatVector c40 = FloatVector.zero(F), c41 = FloatVector.zero(F);
        FloatVector c50 = FloatVector.zero(F), c51 = FloatVector.zero(F);
        FloatVector c60 = FloatVector.zero(F), c61 = FloatVector.zero(F);
        FloatVector c70 = FloatVector.zero(F), c71 = FloatVector.zero(F);
        FloatVector c80 = FloatVector.zero(F), c81 = FloatVector.zero(F);
        FloatVector c90 = FloatVector.zero(F), c91 = FloatVector.zero(F);
        FloatVector c100 = FloatVector.zero(F), c101 = FloatVector.zero(F);
        FloatVector c110 = FloatVector.zero(F), c111 = FloatVector.zero(F);
        int ai = aOff;
        int bi = bOff;
        for (int k = 0; k < kc; k++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(F, bp, bi);
            FloatVector b1 = FloatVector.fromArray(F, bp, bi + L);
            FloatVector a = FloatVector.broadcast(F, ap[ai + 0]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(F, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(F, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(F, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(F, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(F, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(F, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(F, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
            a = FloatVector.broadcast(F, ap[ai + 8]);
            c80 = a.fma(b0, c80);
            c81 = a.fma(b1, c81);
            a = FloatVector.broadcast(F, ap[ai + 9]);
            c90 = a.fma(b0, c90);
            c91 = a.fma(b1, c91);
            a = FloatVector.broadcast(F, ap[ai + 10]);
            c100 = a.fma(b0, c100);
            c101 = a.fma(b1, c101);
            a = FloatVector.broadcast(F, ap[ai + 11]);
            c110 = a.fma(b0, c110);
            c111 = a.fma(b1, c111);
        }
        // Spill the accumulators to the tile buffer; adding them to C is a separate small method,
        // since inlining the loads and adds here pushes C2 past its node budget and boxes vectors.
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + L);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + L);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + L);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + L);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + L);
    }

    /** {@code C[0..mr, 0..nr] += tile}: the full-tile case vectorized, edges element by element. */
    private static void addTile(float[] tile, int mr, int nr, float[] c, int cOff, int ldc) {
        if (nr == NR) {
            for (int r = 0; r < mr; r++) {
                int o = cOff + r * ldc;
                FloatVector.fromArray(F, c, o).add(FloatVector.fromArray(F, tile, r * NR)).intoArray(c, o);
                FloatVector.fromArray(F, c, o + L).add(FloatVector.fromArray(F, tile, r * NR + L)).intoArray(c, o + L);
            }
            return;
        }
        for (int r = 0; r < mr; r++) {
            for (int q = 0; q < nr; q++) {
                c[cOff + r * ldc + q] += tile[r * NR + q];
            }
        }
    }

    /** Packs rows [i0, i0+mc) × depth [k0, k0+kc) of A into MR-row panels, zero-padding the last. */
    private static void packA(Strided a, int i0, int mc, int k0, int kc, float[] dst, int dstOff) {
        float[] src = a.data();
        int rs = a.rowStride();
        int cs = a.colStride();
        int full = 0;
        if (rs == 1) {
            // A transposed (dYᵀ of a weight gradient): its columns are contiguous, so walk depth
            // first and deal each column out to the panels; striding down one panel at a time
            // would revisit every column once per panel.
            full = mc / MR * MR;
            for (int k = 0; k < kc; k++) {
                int s = a.offset() + i0 + (k0 + k) * cs;
                for (int ir = 0; ir < full; ir += MR) {
                    int d = dstOff + (ir / MR) * kc * MR + k * MR;
                    for (int r = 0; r < MR; r++) {
                        dst[d + r] = src[s + ir + r];
                    }
                }
            }
        }
        if (cs == 1 && MR == 12) {
            // A row-major: the panel written in order, its twelve rows read side by side (the
            // generic loop below writes each row at a stride of MR; this measured 2x faster).
            full = mc / MR * MR;
            for (int ir = 0; ir < full; ir += MR) {
                int s = a.offset() + (i0 + ir) * rs + k0;
                int d = dstOff + (ir / MR) * kc * MR;
                for (int k = 0; k < kc; k++, d += MR) {
                    dst[d] = src[s + k];
                    dst[d + 1] = src[s + rs + k];
                    dst[d + 2] = src[s + 2 * rs + k];
                    dst[d + 3] = src[s + 3 * rs + k];
                    dst[d + 4] = src[s + 4 * rs + k];
                    dst[d + 5] = src[s + 5 * rs + k];
                    dst[d + 6] = src[s + 6 * rs + k];
                    dst[d + 7] = src[s + 7 * rs + k];
                    dst[d + 8] = src[s + 8 * rs + k];
                    dst[d + 9] = src[s + 9 * rs + k];
                    dst[d + 10] = src[s + 10 * rs + k];
                    dst[d + 11] = src[s + 11 * rs + k];
                }
            }
        }
        for (int ir = full; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir);
            int base = dstOff + (ir / MR) * kc * MR;
            for (int r = 0; r < MR; r++) {
                int d = base + r;
                if (r >= mr) {
                    for (int k = 0; k < kc; k++, d += MR) {
                        dst[d] = 0f;
                    }
                    continue;
                }
                int s = a.offset() + (i0 + ir + r) * rs + k0 * cs;
                for (int k = 0; k < kc; k++, d += MR, s += cs) {
                    dst[d] = src[s];
                }
            }
        }
    }

    /**
     * Packs depth [k0, k0+kc) × columns [j0, j0+nc) of B into NR-column panels, zero-padding the
     * last; the source widens (or dequantizes) to f32 on the way, using {@code rowScratch} (KC
     * floats) and {@code rowsScratch} (L·KC floats).
     */
    private static void packB(Operand b, int k0, int kc, int j0, int nc, float[] dst, float[] rowScratch,
                              float[] rowsScratch) {
        MatrixSource src = b.source();
        if (nc % NR != 0) {
            int base = (nc / NR) * kc * NR;
            java.util.Arrays.fill(dst, base, base + kc * NR, 0f);
        }
        if (b.transposed()) {
            // B[k][j] = src[j·ld + k]: each column of B is a contiguous row of the weight. Sixteen
            // of them at a time are transposed in registers (4% less time on the forward
            // products than writing each one down its panel column at a stride of NR).
            boolean heap = src instanceof MatrixSource.Dense d && d.tensor().isHeapF32();
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                int base = (jr / NR) * kc * NR;
                int q = 0;
                for (; L == TRANSPOSE && q + L <= nr; q += L) {
                    long first = b.offset() + (long) (j0 + jr + q) * b.ld() + k0;
                    if (heap) {
                        transpose16(((MatrixSource.Dense) src).tensor().array(), (int) first, b.ld(), kc, dst, base + q);
                    } else {
                        for (int r = 0; r < L; r++) {
                            src.readInto(first + (long) r * b.ld(), kc, rowsScratch, r * kc, 1, rowScratch);
                        }
                        transpose16(rowsScratch, 0, kc, kc, dst, base + q);
                    }
                }
                for (; q < nr; q++) {
                    long s = b.offset() + (long) (j0 + jr + q) * b.ld() + k0;
                    src.readInto(s, kc, dst, base + q, NR, rowScratch);
                }
            }
            return;
        }
        // Row by row of B, each read once from end to end (the panels take slices of it): walking
        // one panel's depth first would stride through memory a panel width at a time.
        for (int k = 0; k < kc; k++) {
            long s = b.offset() + (long) (k0 + k) * b.ld() + j0;
            for (int jr = 0; jr < nc; jr += NR) {
                src.readInto(s + jr, Math.min(NR, nc - jr), dst, (jr / NR) * kc * NR + k * NR, 1, rowScratch);
            }
        }
    }

    /** The vector width {@link #transpose16} is written for. */
    private static final int TRANSPOSE = 16;
    /**
     * Two-source permutation indexes of {@link #transpose16}: stage p swaps bit p of the row index
     * with bit p of the lane index, so four stages transpose a 16×16 block.
     */
    private static final FloatVector[] SWAP_LOW = new FloatVector[4], SWAP_HIGH = new FloatVector[4];

    static {
        for (int p = 0; p < 4 && L == TRANSPOSE; p++) {
            int bit = 1 << p;
            float[] low = new float[L], high = new float[L];
            for (int c = 0; c < L; c++) {
                low[c] = (c & bit) == 0 ? c : L + (c ^ bit);   // row r: its own lane, or row r|bit's lane c^bit
                high[c] = (c & bit) == 0 ? (c | bit) : L + c; // row r|bit: row r's lane c|bit, or its own lane
            }
            SWAP_LOW[p] = FloatVector.fromArray(F, low, 0);
            SWAP_HIGH[p] = FloatVector.fromArray(F, high, 0);
        }
    }

    /**
     * {@code dst[d + k·NR + r] = w[s + r·ld + k]} for r < 16, k < kc: sixteen rows of depth kc
     * become sixteen adjacent columns of a B panel.
     */
    private static void transpose16(float[] w, int s, int ld, int kc, float[] dst, int d) {
        int k = 0;
        for (; k + TRANSPOSE <= kc; k += TRANSPOSE) {
            FloatVector v0 = FloatVector.fromArray(F, w, s + 0 * ld + k);
            FloatVector v1 = FloatVector.fromArray(F, w, s + 1 * ld + k);
            FloatVector v2 = FloatVector.fromArray(F, w, s + 2 * ld + k);
            FloatVector v3 = FloatVector.fromArray(F, w, s + 3 * ld + k);
            FloatVector v4 = FloatVector.fromArray(F, w, s + 4 * ld + k);
            FloatVector v5 = FloatVector.fromArray(F, w, s + 5 * ld + k);
            FloatVector v6 = FloatVector.fromArray(F, w, s + 6 * ld + k);
            FloatVector v7 = FloatVector.fromArray(F, w, s + 7 * ld + k);
            FloatVector v8 = FloatVector.fromArray(F, w, s + 8 * ld + k);
            FloatVector v9 = FloatVector.fromArray(F, w, s + 9 * ld + k);
            FloatVector v10 = FloatVector.fromArray(F, w, s + 10 * ld + k);
            FloatVector v11 = FloatVector.fromArray(F, w, s + 11 * ld + k);
            FloatVector v12 = FloatVector.fromArray(F, w, s + 12 * ld + k);
            FloatVector v13 = FloatVector.fromArray(F, w, s + 13 * ld + k);
            FloatVector v14 = FloatVector.fromArray(F, w, s + 14 * ld + k);
            FloatVector v15 = FloatVector.fromArray(F, w, s + 15 * ld + k);
            FloatVector x0_0 = SWAP_LOW[0].selectFrom(v0, v1);
            FloatVector x0_1 = SWAP_HIGH[0].selectFrom(v0, v1);
            FloatVector x0_2 = SWAP_LOW[0].selectFrom(v2, v3);
            FloatVector x0_3 = SWAP_HIGH[0].selectFrom(v2, v3);
            FloatVector x0_4 = SWAP_LOW[0].selectFrom(v4, v5);
            FloatVector x0_5 = SWAP_HIGH[0].selectFrom(v4, v5);
            FloatVector x0_6 = SWAP_LOW[0].selectFrom(v6, v7);
            FloatVector x0_7 = SWAP_HIGH[0].selectFrom(v6, v7);
            FloatVector x0_8 = SWAP_LOW[0].selectFrom(v8, v9);
            FloatVector x0_9 = SWAP_HIGH[0].selectFrom(v8, v9);
            FloatVector x0_10 = SWAP_LOW[0].selectFrom(v10, v11);
            FloatVector x0_11 = SWAP_HIGH[0].selectFrom(v10, v11);
            FloatVector x0_12 = SWAP_LOW[0].selectFrom(v12, v13);
            FloatVector x0_13 = SWAP_HIGH[0].selectFrom(v12, v13);
            FloatVector x0_14 = SWAP_LOW[0].selectFrom(v14, v15);
            FloatVector x0_15 = SWAP_HIGH[0].selectFrom(v14, v15);
            FloatVector x1_0 = SWAP_LOW[1].selectFrom(x0_0, x0_2);
            FloatVector x1_2 = SWAP_HIGH[1].selectFrom(x0_0, x0_2);
            FloatVector x1_1 = SWAP_LOW[1].selectFrom(x0_1, x0_3);
            FloatVector x1_3 = SWAP_HIGH[1].selectFrom(x0_1, x0_3);
            FloatVector x1_4 = SWAP_LOW[1].selectFrom(x0_4, x0_6);
            FloatVector x1_6 = SWAP_HIGH[1].selectFrom(x0_4, x0_6);
            FloatVector x1_5 = SWAP_LOW[1].selectFrom(x0_5, x0_7);
            FloatVector x1_7 = SWAP_HIGH[1].selectFrom(x0_5, x0_7);
            FloatVector x1_8 = SWAP_LOW[1].selectFrom(x0_8, x0_10);
            FloatVector x1_10 = SWAP_HIGH[1].selectFrom(x0_8, x0_10);
            FloatVector x1_9 = SWAP_LOW[1].selectFrom(x0_9, x0_11);
            FloatVector x1_11 = SWAP_HIGH[1].selectFrom(x0_9, x0_11);
            FloatVector x1_12 = SWAP_LOW[1].selectFrom(x0_12, x0_14);
            FloatVector x1_14 = SWAP_HIGH[1].selectFrom(x0_12, x0_14);
            FloatVector x1_13 = SWAP_LOW[1].selectFrom(x0_13, x0_15);
            FloatVector x1_15 = SWAP_HIGH[1].selectFrom(x0_13, x0_15);
            FloatVector x2_0 = SWAP_LOW[2].selectFrom(x1_0, x1_4);
            FloatVector x2_4 = SWAP_HIGH[2].selectFrom(x1_0, x1_4);
            FloatVector x2_1 = SWAP_LOW[2].selectFrom(x1_1, x1_5);
            FloatVector x2_5 = SWAP_HIGH[2].selectFrom(x1_1, x1_5);
            FloatVector x2_2 = SWAP_LOW[2].selectFrom(x1_2, x1_6);
            FloatVector x2_6 = SWAP_HIGH[2].selectFrom(x1_2, x1_6);
            FloatVector x2_3 = SWAP_LOW[2].selectFrom(x1_3, x1_7);
            FloatVector x2_7 = SWAP_HIGH[2].selectFrom(x1_3, x1_7);
            FloatVector x2_8 = SWAP_LOW[2].selectFrom(x1_8, x1_12);
            FloatVector x2_12 = SWAP_HIGH[2].selectFrom(x1_8, x1_12);
            FloatVector x2_9 = SWAP_LOW[2].selectFrom(x1_9, x1_13);
            FloatVector x2_13 = SWAP_HIGH[2].selectFrom(x1_9, x1_13);
            FloatVector x2_10 = SWAP_LOW[2].selectFrom(x1_10, x1_14);
            FloatVector x2_14 = SWAP_HIGH[2].selectFrom(x1_10, x1_14);
            FloatVector x2_11 = SWAP_LOW[2].selectFrom(x1_11, x1_15);
            FloatVector x2_15 = SWAP_HIGH[2].selectFrom(x1_11, x1_15);
            FloatVector t0 = SWAP_LOW[3].selectFrom(x2_0, x2_8);
            FloatVector t8 = SWAP_HIGH[3].selectFrom(x2_0, x2_8);
            FloatVector t1 = SWAP_LOW[3].selectFrom(x2_1, x2_9);
            FloatVector t9 = SWAP_HIGH[3].selectFrom(x2_1, x2_9);
            FloatVector t2 = SWAP_LOW[3].selectFrom(x2_2, x2_10);
            FloatVector t10 = SWAP_HIGH[3].selectFrom(x2_2, x2_10);
            FloatVector t3 = SWAP_LOW[3].selectFrom(x2_3, x2_11);
            FloatVector t11 = SWAP_HIGH[3].selectFrom(x2_3, x2_11);
            FloatVector t4 = SWAP_LOW[3].selectFrom(x2_4, x2_12);
            FloatVector t12 = SWAP_HIGH[3].selectFrom(x2_4, x2_12);
            FloatVector t5 = SWAP_LOW[3].selectFrom(x2_5, x2_13);
            FloatVector t13 = SWAP_HIGH[3].selectFrom(x2_5, x2_13);
            FloatVector t6 = SWAP_LOW[3].selectFrom(x2_6, x2_14);
            FloatVector t14 = SWAP_HIGH[3].selectFrom(x2_6, x2_14);
            FloatVector t7 = SWAP_LOW[3].selectFrom(x2_7, x2_15);
            FloatVector t15 = SWAP_HIGH[3].selectFrom(x2_7, x2_15);
            t0.intoArray(dst, d + (k + 0) * NR);
            t1.intoArray(dst, d + (k + 1) * NR);
            t2.intoArray(dst, d + (k + 2) * NR);
            t3.intoArray(dst, d + (k + 3) * NR);
            t4.intoArray(dst, d + (k + 4) * NR);
            t5.intoArray(dst, d + (k + 5) * NR);
            t6.intoArray(dst, d + (k + 6) * NR);
            t7.intoArray(dst, d + (k + 7) * NR);
            t8.intoArray(dst, d + (k + 8) * NR);
            t9.intoArray(dst, d + (k + 9) * NR);
            t10.intoArray(dst, d + (k + 10) * NR);
            t11.intoArray(dst, d + (k + 11) * NR);
            t12.intoArray(dst, d + (k + 12) * NR);
            t13.intoArray(dst, d + (k + 13) * NR);
            t14.intoArray(dst, d + (k + 14) * NR);
            t15.intoArray(dst, d + (k + 15) * NR);
        }
        for (; k < kc; k++) {
            for (int r = 0; r < TRANSPOSE; r++) {
                dst[d + k * NR + r] = w[s + r * ld + k];
            }
        }
    }

    /** The reference: a plain triple loop, summing in the same K order as nothing in particular. */
    public static void multiplyAddScalar(int M, int N, int K, Strided a, Operand b, float[] c, int cOff, int ldc) {
        MatrixSource src = b.source();
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                float sum = 0f;
                for (int k = 0; k < K; k++) {
                    float av = a.data()[a.offset() + i * a.rowStride() + k * a.colStride()];
                    long bi = b.transposed() ? b.offset() + (long) j * b.ld() + k : b.offset() + (long) k * b.ld() + j;
                    sum += av * src.get(bi);
                }
                c[cOff + i * ldc + j] += sum;
            }
        }
    }
}
