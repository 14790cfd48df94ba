package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Scaled dot-product attention with grouped-query heads, causal or bidirectional masking, key
 * padding masks, sliding windows and Gemma-style logit soft-capping.
 *
 * <pre>
 *   raw[i,j] = scale · q_i · k_j                 (query head h uses kv head h / (NH / KVH))
 *   s[i,j]   = cap · tanh(raw[i,j] / cap)        (only when softcap > 0)
 *   s[i,j]   = −∞ where key j is not visible to query i (causal, window, padding)
 *   p[i,·]   = softmax(s[i,·]);  o_i = Σ_j p[i,j] v_j;  lse_i = log Σ_j exp s[i,j]
 * </pre>
 *
 * Backward (recomputing p from the saved log-sum-exp, as FlashAttention does, so no (T, T)
 * matrix is kept between passes): {@code dp[i,j] = dO_i · v_j}, {@code D_i = dO_i · o_i},
 * {@code ds[i,j] = p[i,j] (dp[i,j] − D_i)}, {@code draw = ds · (1 − (s/cap)²)}, then
 * {@code dq_i += scale Σ_j draw[i,j] k_j}, {@code dk_j += scale Σ_i draw[i,j] q_i},
 * {@code dv_j += Σ_i p[i,j] dO_i}; dk and dv sum over the query heads of a group.
 *
 * <h2>Layouts</h2>
 * <ul>
 *   <li>q, out, dq, dOut: {@code (B, T, NH, HS)}; k, v, dk, dv: {@code (B, T, KVH, HS)} — rows of
 *       a linear projection, out ready for o_proj.</li>
 *   <li>Saved for backward: {@code lse (B, NH, T)} (4·B·NH·T bytes) plus the forward's own
 *       {@code out}. A query row that sees no key has output 0 and {@code lse = −∞}.</li>
 *   <li>Key padding mask: {@code int (B, T)}, 1 = real token, 0 = padding (left or right), or
 *       {@code null} for none. Padded query rows are computed like any other.</li>
 *   <li>Segments (packing): {@code int (B, T)} example ids, or {@code null} for none; a query
 *       sees only keys in its own contiguous run of equal ids (one packed example), on top of
 *       every other rule. Runs must be contiguous: ids such as {@code 0 0 1 1 1 2} (any values,
 *       compared for equality between neighbours).</li>
 *   <li>KV cache for decoding ({@link #forwardCached}): per layer and sequence, keys and values
 *       each {@code (KVH, maxT, HS)}, filled by {@link #writeCache}.</li>
 * </ul>
 *
 * <h2>Scratch</h2>
 * Per-thread buffers, grown on demand and kept: the forward uses a transposed key block
 * {@code (HS, T)} and a score row; the backward two transposed blocks (keys, values) and two
 * {@code (T, T)} matrices (probabilities and score gradients of one head), 4·(2·HS·T + 2·T²)
 * bytes per thread (2.3 MB at T = 512, HS = 64).
 *
 * <p>Work is split over (batch, head) in the forward and (batch, kv head) in the backward, so
 * every gradient element is written by one task in a fixed order: results are deterministic.
 */
public final class Attention {
    private Attention() {}

    /**
     * The attention variant.
     *
     * @param causal        query i sees keys j ≤ i (else all keys)
     * @param slidingWindow W &gt; 0: query i sees keys with i − W &lt; j (and, when not causal,
     *                      j &lt; i + W); 0 = no window
     * @param softcap       cap &gt; 0: scores become cap·tanh(s/cap) (Gemma 2); 0 = none
     * @param scale         multiplies q·k; 1/√HS usually, query_pre_attn_scalar^−½ for Gemma 3
     */
    public record Options(boolean causal, int slidingWindow, float softcap, float scale) {
        public Options {
            if (slidingWindow < 0) {
                throw new IllegalArgumentException("attention: sliding window must be >= 0 (0 = none), got " + slidingWindow);
            }
            if (!(softcap >= 0) || Float.isInfinite(softcap)) {
                throw new IllegalArgumentException("attention: softcap must be a finite number >= 0 (0 = none), got " + softcap);
            }
            if (!(scale > 0) || Float.isInfinite(scale)) {
                throw new IllegalArgumentException("attention: scale must be a finite positive number, got " + scale);
            }
        }

        /** Causal attention with scale 1/√HS, no window, no soft cap. */
        public static Options causal(int HS) {
            return new Options(true, 0, 0f, defaultScale(HS));
        }

        /** Bidirectional attention with scale 1/√HS. */
        public static Options bidirectional(int HS) {
            return new Options(false, 0, 0f, defaultScale(HS));
        }

        public static float defaultScale(int HS) {
            if (HS <= 0) {
                throw new IllegalArgumentException("attention: head size must be positive, got " + HS);
            }
            return (float) (1.0 / Math.sqrt(HS));
        }

        public Options withSlidingWindow(int window) {
            return new Options(causal, window, softcap, scale);
        }

        public Options withSoftcap(float cap) {
            return new Options(causal, slidingWindow, cap, scale);
        }

        public Options withScale(float s) {
            return new Options(causal, slidingWindow, softcap, s);
        }

        /** First key visible to the query at position i. */
        int keyFrom(int i) {
            return slidingWindow > 0 ? Math.max(0, i - slidingWindow + 1) : 0;
        }

        /** One past the last key visible to the query at position i, among {@code Tk} keys. */
        int keyTo(int i, int Tk) {
            if (causal) {
                return Math.min(i + 1, Tk);
            }
            return slidingWindow > 0 ? (int) Math.min((long) i + slidingWindow, Tk) : Tk;
        }

        /** First query (of T at positions 0..T−1) that sees key j. */
        int queryFrom(int j) {
            if (causal) {
                return j;
            }
            return slidingWindow > 0 ? Math.max(0, j - slidingWindow + 1) : 0;
        }

        /** One past the last query (of T) that sees key j. */
        int queryTo(int j, int T) {
            return slidingWindow > 0 ? (int) Math.min((long) j + slidingWindow, T) : T;
        }
    }

    private static final int KT = 0, VT = 1, P = 2, DS = 3, ROW = 4;
    private static final ThreadLocal<int[][]> RUNS = ThreadLocal.withInitial(() -> new int[1][0]);

    private static int[] runScratch(int n) {
        int[][] s = RUNS.get();
        if (s[0].length < n) {
            s[0] = new int[n];
        }
        return s[0];
    }

    /**
     * runs[t] = the first index of t's run of equal segment ids, runs[T + t] = one past its last
     * (without segments: one run over the whole row).
     */
    private static void runs(int[] runs, int[] segments, int base, int T) {
        if (segments == null) {
            java.util.Arrays.fill(runs, 0, T, 0);
            java.util.Arrays.fill(runs, T, 2 * T, T);
            return;
        }
        int start = 0;
        for (int t = 1; t <= T; t++) {
            if (t == T || segments[base + t] != segments[base + t - 1]) {
                for (int u = start; u < t; u++) {
                    runs[u] = start;
                    runs[T + u] = t;
                }
                start = t;
            }
        }
    }
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[5][0]);

    private static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < n) {
            s[slot] = new float[n];
        }
        return s[slot];
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * out = attention(q, k, v); saves lse for {@link #backward}.
     *
     * @param out     (B, T, NH, HS), overwritten
     * @param lse     (B, NH, T), overwritten: log-sum-exp of each query row's scores
     * @param keyMask (B, T) 1 = real key, 0 = padding; null for none
     */
    public static void forward(float[] out, int outOff, float[] lse, int lseOff,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               int[] keyMask, int maskOff, Options opt, int B, int T, int NH, int KVH, int HS) {
        forward(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, null, 0, opt, B, T, NH, KVH, HS);
    }

    /**
     * As {@link #forward(float[], int, float[], int, float[], int, float[], int, float[], int, int[], int, Options, int, int, int, int, int)},
     * with packed rows: {@code segments (B, T)} (null for none) keeps each query inside its example.
     */
    public static void forward(float[] out, int outOff, float[] lse, int lseOff,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               int[] keyMask, int maskOff, int[] segments, int segOff, Options opt,
                               int B, int T, int NH, int KVH, int HS) {
        checkTraining(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, opt, B, T, NH, KVH, HS);
        checkSegments(segments, segOff, B, T);
        if (!Simd.ENABLED) {
            forwardScalar(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, segments, segOff, opt,
                    B, T, NH, KVH, HS);
            return;
        }
        int group = NH / KVH;
        Parallel.forRange(B * NH, (from, to) -> {
            float[] kt = scratch(KT, HS * T);
            float[] row = scratch(ROW, T);
            int[] runs = runScratch(2 * T);
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                int kBase = kOff + (b * T * KVH + h / group) * HS;
                int vBase = vOff + (b * T * KVH + h / group) * HS;
                runs(runs, segments, segOff + b * T, T);
                transpose(kt, k, kBase, KVH * HS, T, HS);
                for (int i = 0; i < T; i++) {
                    int qi = qOff + ((b * T + i) * NH + h) * HS;
                    int oi = outOff + ((b * T + i) * NH + h) * HS;
                    int lo = Math.max(opt.keyFrom(i), runs[i]);
                    int hi = Math.min(opt.keyTo(i, T), runs[T + i]);
                    scoresTransposed(row, q, qi, kt, T, HS, lo, hi);
                    lse[lseOff + bh * T + i] = softmaxAndMix(out, oi, row, lo, hi, v, vBase, KVH * HS, HS,
                            keyMask, keyMask == null ? 0 : maskOff + b * T, opt);
                }
            }
        });
    }

    /**
     * dq, dk, dv += gradients of attention. {@code out} and {@code lse} are what {@link #forward}
     * produced for these q, k, v and options.
     */
    public static void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                int[] keyMask, int maskOff, Options opt, int B, int T, int NH, int KVH, int HS) {
        backward(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff,
                keyMask, maskOff, null, 0, opt, B, T, NH, KVH, HS);
    }

    /** As the backward above, for a forward that ran with {@code segments} (null for none). */
    public static void backward(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                int[] keyMask, int maskOff, int[] segments, int segOff, Options opt,
                                int B, int T, int NH, int KVH, int HS) {
        checkTraining(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, opt, B, T, NH, KVH, HS);
        checkGradients(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, B, T, NH, KVH, HS);
        checkSegments(segments, segOff, B, T);
        if (!Simd.ENABLED) {
            backwardScalar(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, out, outOff, lse, lseOff,
                    q, qOff, k, kOff, v, vOff, keyMask, maskOff, segments, segOff, opt, B, T, NH, KVH, HS);
            return;
        }
        if ((long) T * T > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attention backward: T = " + T + " is too long for the (T, T) scratch");
        }
        int group = NH / KVH;
        int rowStride = NH * HS;
        int kvStride = KVH * HS;
        Parallel.forRange(B * KVH, (from, to) -> {
            float[] kt = scratch(KT, HS * T);
            float[] vt = scratch(VT, HS * T);
            float[] p = scratch(P, T * T);
            float[] ds = scratch(DS, T * T);
            int[] runs = runScratch(2 * T);
            for (int bk = from; bk < to; bk++) {
                int b = bk / KVH;
                int kvh = bk % KVH;
                runs(runs, segments, segOff + b * T, T);
                int kBase = kOff + (b * T * KVH + kvh) * HS;
                int vBase = vOff + (b * T * KVH + kvh) * HS;
                int dkBase = dkOff + (b * T * KVH + kvh) * HS;
                int dvBase = dvOff + (b * T * KVH + kvh) * HS;
                int mBase = keyMask == null ? 0 : maskOff + b * T;
                transpose(kt, k, kBase, kvStride, T, HS);
                transpose(vt, v, vBase, kvStride, T, HS);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    int headOff = (b * T * NH + h) * HS; // row 0 of this head in q, out, dq, dOut
                    for (int i = 0; i < T; i++) {
                        int lo = Math.max(opt.keyFrom(i), runs[i]);
                        int hi = Math.min(opt.keyTo(i, T), runs[T + i]);
                        int pr = i * T;
                        float rowLse = lse[lseOff + (b * NH + h) * T + i];
                        if (rowLse == Float.NEGATIVE_INFINITY) {
                            java.util.Arrays.fill(p, pr + lo, pr + hi, 0f);
                            java.util.Arrays.fill(ds, pr + lo, pr + hi, 0f);
                            continue;
                        }
                        int qi = qOff + headOff + i * rowStride;
                        int gi = dOutOff + headOff + i * rowStride;
                        scoresTransposed(p, pr, q, qi, kt, T, HS, lo, hi);
                        scoresTransposed(ds, pr, dOut, gi, vt, T, HS, lo, hi); // dp[i, j] = dO_i · v_j
                        float dI = dot(dOut, gi, out, outOff + headOff + i * rowStride, HS);
                        scoreGradientRow(p, ds, pr, lo, hi, rowLse, dI, opt);
                        if (keyMask != null) {
                            for (int j = lo; j < hi; j++) {
                                if (keyMask[mBase + j] == 0) {
                                    p[pr + j] = 0f;
                                    ds[pr + j] = 0f;
                                }
                            }
                        }
                        // dq_i += Σ_j ds[i, j] k_j
                        mixRows(dq, dqOff + headOff + i * rowStride, true, ds, pr, 1, lo, hi, k, kBase, kvStride, HS);
                    }
                    // columns become rows, so the dk/dv sums below read their weights contiguously
                    transposeSquare(p, T);
                    transposeSquare(ds, T);
                    for (int j = 0; j < T; j++) {
                        int lo = Math.max(opt.queryFrom(j), runs[j]);
                        int hi = Math.min(opt.queryTo(j, T), runs[T + j]);
                        if (lo >= hi) {
                            continue;
                        }
                        // dv_j += Σ_i p[i, j] dO_i;  dk_j += Σ_i ds[i, j] q_i
                        mixRows(dv, dvBase + j * kvStride, true, p, j * T, 1, lo, hi, dOut, dOutOff + headOff, rowStride, HS);
                        mixRows(dk, dkBase + j * kvStride, true, ds, j * T, 1, lo, hi, q, qOff + headOff, rowStride, HS);
                    }
                }
            }
        });
    }

    /**
     * Decoding with a KV cache: the {@code Tq} query tokens of one sequence, at positions
     * {@code [start, start + Tq)}, attend to cached keys and values {@code [0, start + Tq)} with
     * the same options (causal: token start+i sees keys ≤ start+i). The caller writes this step's
     * keys and values into the cache first ({@link #writeCache}).
     *
     * @param out     (Tq, NH, HS), overwritten
     * @param q       (Tq, NH, HS)
     * @param kCache  (KVH, maxT, HS)
     * @param vCache  (KVH, maxT, HS)
     * @param keyMask (maxT) 1 = real key, 0 = padding; null for none
     */
    public static void forwardCached(float[] out, int outOff, float[] q, int qOff, float[] kCache, int kOff,
                                     float[] vCache, int vOff, int[] keyMask, int maskOff, Options opt,
                                     int start, int Tq, int maxT, int NH, int KVH, int HS) {
        cached(out, outOff, q, qOff, kCache, kOff, vCache, vOff, keyMask, maskOff, opt, start, Tq, maxT, NH, KVH, HS,
                Simd.ENABLED);
    }

    /** Scalar reference of {@link #forwardCached}. */
    public static void forwardCachedScalar(float[] out, int outOff, float[] q, int qOff, float[] kCache, int kOff,
                                           float[] vCache, int vOff, int[] keyMask, int maskOff, Options opt,
                                           int start, int Tq, int maxT, int NH, int KVH, int HS) {
        cached(out, outOff, q, qOff, kCache, kOff, vCache, vOff, keyMask, maskOff, opt, start, Tq, maxT, NH, KVH, HS, false);
    }

    private static void cached(float[] out, int outOff, float[] q, int qOff, float[] kCache, int kOff,
                               float[] vCache, int vOff, int[] keyMask, int maskOff, Options opt,
                               int start, int Tq, int maxT, int NH, int KVH, int HS, boolean vector) {
        checkCached(out, outOff, q, qOff, kCache, kOff, vCache, vOff, keyMask, maskOff, opt, start, Tq, maxT, NH, KVH, HS);
        int Tk = start + Tq;
        int group = NH / KVH;
        Parallel.forRange(Tq * NH, (from, to) -> {
            float[] row = scratch(ROW, Tk);
            for (int ih = from; ih < to; ih++) {
                int i = ih / NH;
                int h = ih % NH;
                int pos = start + i;
                int lo = opt.keyFrom(pos);
                int hi = opt.keyTo(pos, Tk);
                int qi = qOff + ih * HS;
                int kBase = kOff + (h / group) * maxT * HS;
                int vBase = vOff + (h / group) * maxT * HS;
                if (vector) {
                    // one query row: direct dots over HS (a transposed copy would cost as much as the dots)
                    for (int j = lo; j < hi; j++) {
                        row[j] = dot(q, qi, kCache, kBase + j * HS, HS);
                    }
                    softmaxAndMix(out, outOff + ih * HS, row, lo, hi, vCache, vBase, HS, HS, keyMask, maskOff, opt);
                } else {
                    rowScalar(out, outOff + ih * HS, row, q, qi, kCache, kBase, HS, vCache, vBase, HS, lo, hi,
                            keyMask, maskOff, opt, HS);
                }
            }
        });
    }

    /**
     * Copies {@code Tq} tokens of keys or values {@code (Tq, KVH, HS)} (a projection's rows) into
     * a cache {@code (KVH, maxT, HS)} at positions {@code [start, start + Tq)}.
     */
    public static void writeCache(float[] cache, int cacheOff, float[] src, int srcOff, int start, int Tq, int maxT,
                                  int KVH, int HS) {
        if (start < 0 || Tq < 0 || (long) start + Tq > maxT) {
            throw new IllegalArgumentException("attention cache: positions [" + start + ", " + ((long) start + Tq)
                    + ") do not fit a cache of " + maxT + " positions");
        }
        checkLength("cache", cache, cacheOff, (long) KVH * maxT * HS);
        checkLength("cache source", src, srcOff, (long) Tq * KVH * HS);
        for (int t = 0; t < Tq; t++) {
            for (int kvh = 0; kvh < KVH; kvh++) {
                System.arraycopy(src, srcOff + (t * KVH + kvh) * HS, cache, cacheOff + (kvh * maxT + start + t) * HS, HS);
            }
        }
    }

    // ----------------------------------------------------------------------------------- scalar

    /** Scalar reference of {@link #forward}. */
    public static void forwardScalar(float[] out, int outOff, float[] lse, int lseOff,
                                     float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                     int[] keyMask, int maskOff, Options opt, int B, int T, int NH, int KVH, int HS) {
        forwardScalar(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, null, 0, opt, B, T, NH, KVH, HS);
    }

    /** Scalar reference of {@link #forward} with segments. */
    public static void forwardScalar(float[] out, int outOff, float[] lse, int lseOff,
                                     float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                     int[] keyMask, int maskOff, int[] segments, int segOff, Options opt,
                                     int B, int T, int NH, int KVH, int HS) {
        checkTraining(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, opt, B, T, NH, KVH, HS);
        checkSegments(segments, segOff, B, T);
        int group = NH / KVH;
        Parallel.forRange(B * NH, (from, to) -> {
            float[] row = scratch(ROW, T);
            int[] runs = runScratch(2 * T);
            for (int bh = from; bh < to; bh++) {
                int b = bh / NH;
                int h = bh % NH;
                int kBase = kOff + (b * T * KVH + h / group) * HS;
                int vBase = vOff + (b * T * KVH + h / group) * HS;
                runs(runs, segments, segOff + b * T, T);
                for (int i = 0; i < T; i++) {
                    int qi = qOff + ((b * T + i) * NH + h) * HS;
                    int oi = outOff + ((b * T + i) * NH + h) * HS;
                    lse[lseOff + bh * T + i] = rowScalar(out, oi, row, q, qi, k, kBase, KVH * HS, v, vBase, KVH * HS,
                            Math.max(opt.keyFrom(i), runs[i]), Math.min(opt.keyTo(i, T), runs[T + i]), keyMask,
                            keyMask == null ? 0 : maskOff + b * T, opt, HS);
                }
            }
        });
    }

    /** Scalar reference of {@link #backward}. */
    public static void backwardScalar(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                      float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                      float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                      int[] keyMask, int maskOff, Options opt, int B, int T, int NH, int KVH, int HS) {
        backwardScalar(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff,
                keyMask, maskOff, null, 0, opt, B, T, NH, KVH, HS);
    }

    /** Scalar reference of {@link #backward} with segments. */
    public static void backwardScalar(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                      float[] dOut, int dOutOff, float[] out, int outOff, float[] lse, int lseOff,
                                      float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                      int[] keyMask, int maskOff, int[] segments, int segOff, Options opt,
                                      int B, int T, int NH, int KVH, int HS) {
        checkTraining(out, outOff, lse, lseOff, q, qOff, k, kOff, v, vOff, keyMask, maskOff, opt, B, T, NH, KVH, HS);
        checkGradients(dq, dqOff, dk, dkOff, dv, dvOff, dOut, dOutOff, B, T, NH, KVH, HS);
        checkSegments(segments, segOff, B, T);
        int group = NH / KVH;
        Parallel.forRange(B * KVH, (from, to) -> {
            int[] runs = runScratch(2 * T);
            for (int bk = from; bk < to; bk++) {
                int b = bk / KVH;
                int kvh = bk % KVH;
                runs(runs, segments, segOff + b * T, T);
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int i = 0; i < T; i++) {
                        float rowLse = lse[lseOff + (b * NH + h) * T + i];
                        if (rowLse == Float.NEGATIVE_INFINITY) {
                            continue;
                        }
                        int qi = qOff + ((b * T + i) * NH + h) * HS;
                        int gi = dOutOff + ((b * T + i) * NH + h) * HS;
                        int oi = outOff + ((b * T + i) * NH + h) * HS;
                        int dqi = dqOff + ((b * T + i) * NH + h) * HS;
                        float dI = 0;
                        for (int d = 0; d < HS; d++) {
                            dI += dOut[gi + d] * out[oi + d];
                        }
                        int hi = Math.min(opt.keyTo(i, T), runs[T + i]);
                        for (int j = Math.max(opt.keyFrom(i), runs[i]); j < hi; j++) {
                            if (keyMask != null && keyMask[maskOff + b * T + j] == 0) {
                                continue;
                            }
                            int kj = kOff + ((b * T + j) * KVH + kvh) * HS;
                            int vj = vOff + ((b * T + j) * KVH + kvh) * HS;
                            float qk = 0;
                            float dp = 0;
                            for (int d = 0; d < HS; d++) {
                                qk += q[qi + d] * k[kj + d];
                                dp += dOut[gi + d] * v[vj + d];
                            }
                            float s = scoreFromDot(qk, opt);
                            float pij = (float) Math.exp(s - rowLse);
                            float g = pij * (dp - dI) * opt.scale();
                            if (opt.softcap() > 0) {
                                float t = s / opt.softcap();
                                g *= 1 - t * t;
                            }
                            int dkj = dkOff + ((b * T + j) * KVH + kvh) * HS;
                            int dvj = dvOff + ((b * T + j) * KVH + kvh) * HS;
                            for (int d = 0; d < HS; d++) {
                                dq[dqi + d] += g * k[kj + d];
                                dk[dkj + d] += g * q[qi + d];
                                dv[dvj + d] += pij * dOut[gi + d];
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * One query row, scalar: scores into {@code row[lo, hi)}, softmax, out = Σ p v. Returns the
     * log-sum-exp, or −∞ (and a zero output) when no key is visible.
     */
    private static float rowScalar(float[] out, int oi, float[] row, float[] q, int qi, float[] k, int kBase, int kStride,
                                   float[] v, int vBase, int vStride, int lo, int hi, int[] keyMask, int mBase,
                                   Options opt, int HS) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = lo; j < hi; j++) {
            float s = Float.NEGATIVE_INFINITY;
            if (keyMask == null || keyMask[mBase + j] != 0) {
                float dot = 0;
                for (int d = 0; d < HS; d++) {
                    dot += q[qi + d] * k[kBase + j * kStride + d];
                }
                s = scoreFromDot(dot, opt);
            }
            row[j] = s;
            max = Math.max(max, s);
        }
        for (int d = 0; d < HS; d++) {
            out[oi + d] = 0f;
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return Float.NEGATIVE_INFINITY;
        }
        float sum = 0;
        for (int j = lo; j < hi; j++) {
            float e = (float) Math.exp(row[j] - max);
            row[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int j = lo; j < hi; j++) {
            float pj = row[j] * inv;
            if (pj != 0f) {
                for (int d = 0; d < HS; d++) {
                    out[oi + d] += pj * v[vBase + j * vStride + d];
                }
            }
        }
        return max + (float) Math.log(sum);
    }

    private static float scoreFromDot(float dot, Options opt) {
        float s = dot * opt.scale();
        if (opt.softcap() > 0) {
            s = opt.softcap() * (float) Math.tanh(s / opt.softcap());
        }
        return s;
    }

    // ----------------------------------------------------------------------------------- vector helpers

    /** dst (HS, T) = transpose of the T rows {@code src[base + t·stride, +HS)}. */
    private static void transpose(float[] dst, float[] src, int base, int stride, int T, int HS) {
        for (int t = 0; t < T; t++) {
            int s = base + t * stride;
            for (int d = 0; d < HS; d++) {
                dst[d * T + t] = src[s + d];
            }
        }
    }

    private static void scoresTransposed(float[] row, float[] q, int qi, float[] kt, int T, int HS, int lo, int hi) {
        scoresTransposed(row, 0, q, qi, kt, T, HS, lo, hi);
    }

    /**
     * row[rowOff + j] = q_i · k_j for j in [lo, hi), with kt = kᵀ (HS, T): vectors run over keys,
     * so there is no horizontal reduction, and four accumulators stay in registers.
     */
    private static void scoresTransposed(float[] row, int rowOff, float[] q, int qi, float[] kt, int T, int HS, int lo, int hi) {
        int L = Simd.LANES;
        int j = lo;
        for (; j + 4 * L <= hi; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(Simd.F), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < HS; d++) {
                FloatVector qd = FloatVector.broadcast(Simd.F, q[qi + d]);
                int kd = d * T + j;
                a0 = FloatVector.fromArray(Simd.F, kt, kd).fma(qd, a0);
                a1 = FloatVector.fromArray(Simd.F, kt, kd + L).fma(qd, a1);
                a2 = FloatVector.fromArray(Simd.F, kt, kd + 2 * L).fma(qd, a2);
                a3 = FloatVector.fromArray(Simd.F, kt, kd + 3 * L).fma(qd, a3);
            }
            a0.intoArray(row, rowOff + j);
            a1.intoArray(row, rowOff + j + L);
            a2.intoArray(row, rowOff + j + 2 * L);
            a3.intoArray(row, rowOff + j + 3 * L);
        }
        for (; j + L <= hi; j += L) {
            FloatVector a = FloatVector.zero(Simd.F);
            for (int d = 0; d < HS; d++) {
                a = FloatVector.fromArray(Simd.F, kt, d * T + j).fma(FloatVector.broadcast(Simd.F, q[qi + d]), a);
            }
            a.intoArray(row, rowOff + j);
        }
        if (j < hi) {
            VectorMask<Float> m = Simd.F.indexInRange(j, hi);
            FloatVector a = FloatVector.zero(Simd.F);
            for (int d = 0; d < HS; d++) {
                a = FloatVector.fromArray(Simd.F, kt, d * T + j, m).fma(FloatVector.broadcast(Simd.F, q[qi + d]), a);
            }
            a.intoArray(row, rowOff + j, m);
        }
    }

    /**
     * Turns the dots in {@code row[lo, hi)} into probabilities and writes
     * {@code out[oi, +HS) = Σ_j p_j v_j}. Returns the row's log-sum-exp, or −∞ with a zero
     * output when every key is masked.
     */
    private static float softmaxAndMix(float[] out, int oi, float[] row, int lo, int hi, float[] v, int vBase, int vStride,
                                       int HS, int[] keyMask, int mBase, Options opt) {
        int L = Simd.LANES;
        float cap = opt.softcap();
        FloatVector scale = FloatVector.broadcast(Simd.F, opt.scale());
        FloatVector vmax = FloatVector.broadcast(Simd.F, Float.NEGATIVE_INFINITY);
        int j = lo;
        for (; j < hi; j += L) {
            VectorMask<Float> m = Simd.F.indexInRange(j, hi);
            FloatVector s = FloatVector.fromArray(Simd.F, row, j, m).mul(scale);
            if (cap > 0) {
                s = Simd.tanh(s.div(cap)).mul(cap);
            }
            s.intoArray(row, j, m);
            vmax = vmax.blend(vmax.max(s), m);
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        if (keyMask != null) {
            max = Float.NEGATIVE_INFINITY;
            for (j = lo; j < hi; j++) {
                if (keyMask[mBase + j] == 0) {
                    row[j] = Float.NEGATIVE_INFINITY;
                } else {
                    max = Math.max(max, row[j]);
                }
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            for (int d = 0; d < HS; d++) {
                out[oi + d] = 0f;
            }
            return Float.NEGATIVE_INFINITY;
        }
        FloatVector vm = FloatVector.broadcast(Simd.F, max);
        FloatVector vsum = FloatVector.zero(Simd.F);
        for (j = lo; j < hi; j += L) {
            VectorMask<Float> m = Simd.F.indexInRange(j, hi);
            FloatVector e = Simd.exp(FloatVector.fromArray(Simd.F, row, j, m).sub(vm));
            e.intoArray(row, j, m);
            vsum = vsum.add(e, m);
        }
        float sum = Simd.sum(vsum);
        mixRows(out, oi, false, row, 0, 1, lo, hi, v, vBase, vStride, HS);
        float inv = 1f / sum;
        for (int d = 0; d < HS; d++) {
            out[oi + d] *= inv;
        }
        return max + (float) Math.log(sum);
    }

    /**
     * dst[di, +HS) (= or +=) Σ_{j in [lo, hi)} w[wOff + j·wStride] · src[base + j·stride, +HS):
     * vectors over HS, accumulators in registers.
     */
    private static void mixRows(float[] dst, int di, boolean accumulate, float[] w, int wOff, int wStride, int lo, int hi,
                                float[] src, int base, int stride, int HS) {
        int L = Simd.LANES;
        for (int d = 0; d < HS; d += L) {
            VectorMask<Float> m = Simd.F.indexInRange(d, HS);
            FloatVector acc = accumulate ? FloatVector.fromArray(Simd.F, dst, di + d, m) : FloatVector.zero(Simd.F);
            if (m.allTrue()) {
                // four independent chains: one chain would wait on each FMA's latency
                FloatVector a1 = FloatVector.zero(Simd.F), a2 = a1, a3 = a1;
                int j = lo;
                for (; j + 4 <= hi; j += 4) {
                    int s0 = base + j * stride + d;
                    int w0 = wOff + j * wStride;
                    acc = FloatVector.fromArray(Simd.F, src, s0).fma(FloatVector.broadcast(Simd.F, w[w0]), acc);
                    a1 = FloatVector.fromArray(Simd.F, src, s0 + stride).fma(FloatVector.broadcast(Simd.F, w[w0 + wStride]), a1);
                    a2 = FloatVector.fromArray(Simd.F, src, s0 + 2 * stride).fma(FloatVector.broadcast(Simd.F, w[w0 + 2 * wStride]), a2);
                    a3 = FloatVector.fromArray(Simd.F, src, s0 + 3 * stride).fma(FloatVector.broadcast(Simd.F, w[w0 + 3 * wStride]), a3);
                }
                for (; j < hi; j++) {
                    float wj = w[wOff + j * wStride];
                    acc = FloatVector.fromArray(Simd.F, src, base + j * stride + d).fma(FloatVector.broadcast(Simd.F, wj), acc);
                }
                acc = acc.add(a1).add(a2.add(a3));
            } else {
                for (int j = lo; j < hi; j++) {
                    float wj = w[wOff + j * wStride];
                    acc = FloatVector.fromArray(Simd.F, src, base + j * stride + d, m).fma(FloatVector.broadcast(Simd.F, wj), acc);
                }
            }
            acc.intoArray(dst, di + d, m);
        }
    }

    /**
     * On entry p[pr + j] holds q_i · k_j and ds[pr + j] holds dO_i · v_j; on exit p holds the
     * probability p[i, j] = exp(s − lse) and ds the gradient with respect to q_i · k_j:
     * p · (dp − D_i) · scale · (1 − (s/cap)²).
     */
    private static void scoreGradientRow(float[] p, float[] ds, int pr, int lo, int hi, float rowLse, float dI, Options opt) {
        float cap = opt.softcap();
        FloatVector scale = FloatVector.broadcast(Simd.F, opt.scale());
        FloatVector lseV = FloatVector.broadcast(Simd.F, rowLse);
        FloatVector dIV = FloatVector.broadcast(Simd.F, dI);
        FloatVector one = FloatVector.broadcast(Simd.F, 1f);
        for (int j = lo; j < hi; j += Simd.LANES) {
            VectorMask<Float> m = Simd.F.indexInRange(j, hi);
            FloatVector s = FloatVector.fromArray(Simd.F, p, pr + j, m).mul(scale);
            FloatVector tanhFactor = one;
            if (cap > 0) {
                FloatVector t = Simd.tanh(s.div(cap));
                s = t.mul(cap);
                tanhFactor = one.sub(t.mul(t));
            }
            FloatVector pij = Simd.exp(s.sub(lseV));
            FloatVector g = FloatVector.fromArray(Simd.F, ds, pr + j, m).sub(dIV).mul(pij).mul(scale).mul(tanhFactor);
            pij.intoArray(p, pr + j, m);
            g.intoArray(ds, pr + j, m);
        }
    }

    /** In-place transpose of the (T, T) matrix at the start of {@code a}, in cache-sized blocks. */
    private static void transposeSquare(float[] a, int T) {
        final int blk = 32;
        for (int i0 = 0; i0 < T; i0 += blk) {
            for (int j0 = i0; j0 < T; j0 += blk) {
                int iEnd = Math.min(i0 + blk, T);
                int jEnd = Math.min(j0 + blk, T);
                for (int i = i0; i < iEnd; i++) {
                    for (int j = Math.max(j0, i + 1); j < jEnd; j++) {
                        float t = a[i * T + j];
                        a[i * T + j] = a[j * T + i];
                        a[j * T + i] = t;
                    }
                }
            }
        }
    }

    /** a[ai, +n) · b[bi, +n), vectorized. */
    private static float dot(float[] a, int ai, float[] b, int bi, int n) {
        int L = Simd.LANES;
        FloatVector acc = FloatVector.zero(Simd.F);
        int d = 0;
        for (; d + L <= n; d += L) {
            acc = FloatVector.fromArray(Simd.F, a, ai + d).fma(FloatVector.fromArray(Simd.F, b, bi + d), acc);
        }
        float s = Simd.sum(acc);
        for (; d < n; d++) {
            s += a[ai + d] * b[bi + d];
        }
        return s;
    }

    // ----------------------------------------------------------------------------------- checks

    private static void checkDims(Options opt, int NH, int KVH, int HS) {
        if (opt == null) {
            throw new IllegalArgumentException("attention: options must be given");
        }
        if (NH <= 0 || KVH <= 0 || HS <= 0) {
            throw new IllegalArgumentException("attention: NH, KVH and HS must be positive, got " + NH + ", " + KVH + ", " + HS);
        }
        if (NH % KVH != 0) {
            throw new IllegalArgumentException("attention: query heads (" + NH + ") must be a multiple of kv heads (" + KVH + ")");
        }
    }

    private static void checkTraining(float[] out, int outOff, float[] lse, int lseOff, float[] q, int qOff,
                                      float[] k, int kOff, float[] v, int vOff, int[] keyMask, int maskOff,
                                      Options opt, int B, int T, int NH, int KVH, int HS) {
        checkDims(opt, NH, KVH, HS);
        if (B <= 0 || T <= 0) {
            throw new IllegalArgumentException("attention: B and T must be positive, got " + B + ", " + T);
        }
        long qSize = (long) B * T * NH * HS;
        long kvSize = (long) B * T * KVH * HS;
        checkLength("attention out (B, T, NH, HS)", out, outOff, qSize);
        checkLength("attention lse (B, NH, T)", lse, lseOff, (long) B * NH * T);
        checkLength("attention q (B, T, NH, HS)", q, qOff, qSize);
        checkLength("attention k (B, T, KVH, HS)", k, kOff, kvSize);
        checkLength("attention v (B, T, KVH, HS)", v, vOff, kvSize);
        if (keyMask != null && (maskOff < 0 || keyMask.length - (long) maskOff < (long) B * T)) {
            throw new IllegalArgumentException("attention key mask (B, T): needs " + (long) B * T + " entries from offset "
                    + maskOff + ", has " + keyMask.length);
        }
    }

    private static void checkSegments(int[] segments, int segOff, int B, int T) {
        if (segments != null && (segOff < 0 || segments.length - (long) segOff < (long) B * T)) {
            throw new IllegalArgumentException("attention segments (B, T): needs " + (long) B * T + " entries from offset "
                    + segOff + ", has " + segments.length);
        }
    }

    private static void checkGradients(float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff,
                                       float[] dOut, int dOutOff, int B, int T, int NH, int KVH, int HS) {
        long qSize = (long) B * T * NH * HS;
        long kvSize = (long) B * T * KVH * HS;
        checkLength("attention dq (B, T, NH, HS)", dq, dqOff, qSize);
        checkLength("attention dk (B, T, KVH, HS)", dk, dkOff, kvSize);
        checkLength("attention dv (B, T, KVH, HS)", dv, dvOff, kvSize);
        checkLength("attention dOut (B, T, NH, HS)", dOut, dOutOff, qSize);
    }

    private static void checkCached(float[] out, int outOff, float[] q, int qOff, float[] kCache, int kOff,
                                    float[] vCache, int vOff, int[] keyMask, int maskOff, Options opt,
                                    int start, int Tq, int maxT, int NH, int KVH, int HS) {
        checkDims(opt, NH, KVH, HS);
        if (Tq <= 0 || start < 0 || (long) start + Tq > maxT) {
            throw new IllegalArgumentException("attention cache: query positions [" + start + ", " + ((long) start + Tq)
                    + ") must be non-empty and fit the cache's " + maxT + " positions");
        }
        checkLength("attention out (Tq, NH, HS)", out, outOff, (long) Tq * NH * HS);
        checkLength("attention q (Tq, NH, HS)", q, qOff, (long) Tq * NH * HS);
        checkLength("attention key cache (KVH, maxT, HS)", kCache, kOff, (long) KVH * maxT * HS);
        checkLength("attention value cache (KVH, maxT, HS)", vCache, vOff, (long) KVH * maxT * HS);
        if (keyMask != null && (maskOff < 0 || keyMask.length - (long) maskOff < (long) start + Tq)) {
            throw new IllegalArgumentException("attention cache key mask: needs " + ((long) start + Tq)
                    + " entries from offset " + maskOff + ", has " + keyMask.length);
        }
    }

    private static void checkLength(String name, float[] a, int off, long n) {
        if (a == null) {
            throw new IllegalArgumentException(name + ": buffer is null");
        }
        if (off < 0 || a.length - (long) off < n) {
            throw new IllegalArgumentException(name + ": needs " + n + " floats from offset " + off + ", buffer has " + a.length);
        }
    }
}
