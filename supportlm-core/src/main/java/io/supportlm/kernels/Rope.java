package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

/**
 * Rotary position embedding as Hugging Face transformers applies it ({@code apply_rotary_pos_emb}
 * with {@code rotate_half}): the first {@code rotaryDim} dims of each head are split into two
 * halves {@code x1 = x[0, R/2)} and {@code x2 = x[R/2, R)} (not interleaved pairs), and pair
 * {@code i} turns by the angle {@code pos · invFreq[i]}:
 *
 * <pre>
 *   out[i]       = (x1[i] · cos − x2[i] · sin) · a
 *   out[i + R/2] = (x2[i] · cos + x1[i] · sin) · a          i in [0, R/2)
 *   out[d]       = x[d]                                     d in [R, HS)   (partial rotary)
 * </pre>
 *
 * where {@code a} is the table's attention scaling (1 except for YaRN). The map is {@code a}
 * times a rotation, so its transpose is {@code a} times the rotation by {@code −angle}: that is
 * the backward.
 *
 * <p>Layout: q or k as {@code (B, T, NH, HS)} rows, exactly as a linear projection writes them
 * (one row per token, heads side by side). {@link #forward} is out-of-place but may run in place
 * ({@code out == in} at the same offset). {@link #backward} accumulates into {@code dIn}, which
 * must not overlap {@code dOut}. Positions come per token ({@code int[]} of length B·T, for left
 * padding or packed sequences) or as a start offset ({@code start + t} for every batch row, the
 * KV-cache case).
 */
public final class Rope {
    private Rope() {}

    /** How the inverse frequencies are rescaled for longer contexts ({@code rope_scaling} in a HF config). */
    public sealed interface Scaling {
        /** No scaling ({@code rope_type = "default"}). */
        record None() implements Scaling {}

        /** Position interpolation: {@code invFreq / factor}, equivalent to positions / factor. */
        record Linear(double factor) implements Scaling {
            public Linear {
                if (!(factor >= 1) || Double.isInfinite(factor)) {
                    throw new IllegalArgumentException("rope_scaling linear: factor must be a finite number >= 1, got " + factor);
                }
            }
        }

        /**
         * Llama 3.1 frequency-dependent scaling (transformers' {@code _compute_llama3_parameters}):
         * wavelengths longer than {@code originalMaxPositions / lowFreqFactor} are divided by
         * {@code factor}, shorter than {@code originalMaxPositions / highFreqFactor} kept, and the
         * band between is interpolated smoothly.
         */
        record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) implements Scaling {
            public Llama3 {
                if (!(factor >= 1) || Double.isInfinite(factor)) {
                    throw new IllegalArgumentException("rope_scaling llama3: factor must be a finite number >= 1, got " + factor);
                }
                if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || Double.isInfinite(highFreqFactor)) {
                    throw new IllegalArgumentException("rope_scaling llama3: need 0 < low_freq_factor < high_freq_factor, got "
                            + lowFreqFactor + " and " + highFreqFactor);
                }
                if (originalMaxPositions <= 0) {
                    throw new IllegalArgumentException("rope_scaling llama3: original_max_position_embeddings must be positive, got "
                            + originalMaxPositions);
                }
            }
        }

        /**
         * YaRN (transformers' {@code _compute_yarn_parameters}): a linear ramp between
         * interpolated ({@code / factor}) and original frequencies over the dims whose rotation
         * count within {@code originalMaxPositions} lies between {@code betaSlow} and
         * {@code betaFast}, plus an attention factor that multiplies cos and sin.
         * {@code attentionFactor}, {@code mscale}, {@code mscaleAllDim}: 0 means absent in the
         * config (then the factor is {@code 0.1·ln(factor) + 1}, or the mscale ratio when both
         * mscales are given). {@code truncate} rounds the ramp bounds to integers (HF default).
         */
        record Yarn(double factor, int originalMaxPositions, double betaFast, double betaSlow, double attentionFactor,
                    double mscale, double mscaleAllDim, boolean truncate) implements Scaling {
            public Yarn {
                if (!(factor >= 1) || Double.isInfinite(factor)) {
                    throw new IllegalArgumentException("rope_scaling yarn: factor must be a finite number >= 1, got " + factor);
                }
                if (originalMaxPositions <= 0) {
                    throw new IllegalArgumentException("rope_scaling yarn: original_max_position_embeddings must be positive, got "
                            + originalMaxPositions);
                }
                if (!(betaFast > 0) || !(betaSlow > 0) || Double.isInfinite(betaFast) || Double.isInfinite(betaSlow)) {
                    throw new IllegalArgumentException("rope_scaling yarn: beta_fast and beta_slow must be positive, got "
                            + betaFast + " and " + betaSlow);
                }
                if (!(attentionFactor >= 0) || !(mscale >= 0) || !(mscaleAllDim >= 0)) {
                    throw new IllegalArgumentException("rope_scaling yarn: attention_factor, mscale and mscale_all_dim must be >= 0 (0 = absent)");
                }
            }

            /** The HF defaults: beta_fast 32, beta_slow 1, derived attention factor, truncation on. */
            public static Yarn of(double factor, int originalMaxPositions) {
                return new Yarn(factor, originalMaxPositions, 32, 1, 0, 0, 0, true);
            }
        }
    }

    /**
     * What a model's config says about its rotary embedding.
     *
     * @param headSize  HS, the size of one attention head
     * @param rotaryDim how many leading dims of each head rotate (even; {@code headSize} for most
     *                  models, {@code headSize · partial_rotary_factor} for GPT-NeoX/Phi style)
     * @param theta     {@code rope_theta}, the frequency base (10000 in the original paper)
     * @param scaling   {@code rope_scaling}
     */
    public record Config(int headSize, int rotaryDim, double theta, Scaling scaling) {
        public Config {
            if (headSize <= 0) {
                throw new IllegalArgumentException("rope: head size must be positive, got " + headSize);
            }
            if (rotaryDim <= 0 || rotaryDim > headSize || rotaryDim % 2 != 0) {
                throw new IllegalArgumentException("rope: rotary dim must be even and in (0, " + headSize + "], got " + rotaryDim);
            }
            if (!(theta > 1) || Double.isInfinite(theta)) {
                throw new IllegalArgumentException("rope: theta must be a finite number > 1, got " + theta);
            }
            if (scaling == null) {
                throw new IllegalArgumentException("rope: scaling must be given (Scaling.None for none)");
            }
        }

        /** Full-width rotary embedding without scaling. */
        public static Config of(int headSize, double theta) {
            return new Config(headSize, headSize, theta, new Scaling.None());
        }
    }

    /**
     * The precomputed cos/sin table for positions {@code [0, maxPositions)}: built once from the
     * config, so a step is just the rotation.
     *
     * <p>Numerics follow HF: {@code invFreq} is rounded to f32 and the angle is the f32 product
     * {@code pos · invFreq}, as transformers computes it in float32; cos and sin of that angle are
     * then taken in double and rounded, and multiplied by {@code attentionScaling}.
     *
     * @param invFreq          {@code (R/2)} inverse frequency of each rotated pair
     * @param attentionScaling multiplies cos and sin (YaRN's attention factor; 1 otherwise)
     * @param cos              {@code (maxPositions, R/2)}
     * @param sin              {@code (maxPositions, R/2)}
     */
    public record Table(int headSize, int rotaryDim, int maxPositions, float[] invFreq, float attentionScaling,
                        float[] cos, float[] sin) {
        public Table {
            int half = rotaryDim / 2;
            if (invFreq.length != half || cos.length != (long) maxPositions * half || sin.length != cos.length) {
                throw new IllegalArgumentException("rope table: inconsistent sizes for rotary dim " + rotaryDim
                        + " and " + maxPositions + " positions");
            }
        }

        /** Builds the table for positions {@code [0, maxPositions)}. */
        public static Table build(Config config, int maxPositions) {
            if (maxPositions <= 0) {
                throw new IllegalArgumentException("rope table: max positions must be positive, got " + maxPositions);
            }
            int half = config.rotaryDim() / 2;
            if ((long) maxPositions * half > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("rope table: " + maxPositions + " positions x " + half + " pairs is too large");
            }
            double[] inv = inverseFrequencies(config);
            float attentionScaling = (float) Rope.attentionScaling(config);
            float[] invFreq = new float[half];
            for (int i = 0; i < half; i++) {
                invFreq[i] = (float) inv[i];
            }
            float[] cos = new float[maxPositions * half];
            float[] sin = new float[maxPositions * half];
            for (int p = 0; p < maxPositions; p++) {
                for (int i = 0; i < half; i++) {
                    float angle = (float) p * invFreq[i];
                    cos[p * half + i] = (float) Math.cos(angle) * attentionScaling;
                    sin[p * half + i] = (float) Math.sin(angle) * attentionScaling;
                }
            }
            return new Table(config.headSize(), config.rotaryDim(), maxPositions, invFreq, attentionScaling, cos, sin);
        }
    }

    /** The inverse frequency of each rotated pair, in double, after the config's scaling. */
    public static double[] inverseFrequencies(Config config) {
        int dim = config.rotaryDim();
        int half = dim / 2;
        double base = config.theta();
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
        }
        switch (config.scaling()) {
            case Scaling.None none -> { }
            case Scaling.Linear linear -> {
                for (int i = 0; i < half; i++) {
                    inv[i] /= linear.factor();
                }
            }
            case Scaling.Llama3 s -> {
                double lowFreqWavelen = s.originalMaxPositions() / s.lowFreqFactor();
                double highFreqWavelen = s.originalMaxPositions() / s.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] /= s.factor(); // low frequencies: fully interpolated
                    } else if (wavelen >= highFreqWavelen) {
                        double smooth = (s.originalMaxPositions() / wavelen - s.lowFreqFactor())
                                / (s.highFreqFactor() - s.lowFreqFactor());
                        inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
                    } // high frequencies: unchanged
                }
            }
            case Scaling.Yarn s -> {
                double low = correctionDim(s.betaFast(), dim, base, s.originalMaxPositions());
                double high = correctionDim(s.betaSlow(), dim, base, s.originalMaxPositions());
                if (s.truncate()) {
                    low = Math.floor(low);
                    high = Math.ceil(high);
                }
                low = Math.max(low, 0);
                high = Math.min(high, dim - 1);
                if (low == high) {
                    high += 0.001; // HF's guard against a zero-width ramp
                }
                for (int i = 0; i < half; i++) {
                    double ramp = Math.clamp((i - low) / (high - low), 0.0, 1.0);
                    double extrapolation = 1 - ramp; // weight of the original frequency
                    double original = inv[i];
                    inv[i] = original / s.factor() * (1 - extrapolation) + original * extrapolation;
                }
            }
        }
        return inv;
    }

    /** Dim index whose wavelength makes {@code rotations} turns over {@code maxPositions} (YaRN). */
    private static double correctionDim(double rotations, int dim, double base, int maxPositions) {
        return dim * Math.log(maxPositions / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** The factor that multiplies cos and sin: YaRN's attention factor, 1 for other scalings. */
    public static double attentionScaling(Config config) {
        if (!(config.scaling() instanceof Scaling.Yarn s)) {
            return 1.0;
        }
        if (s.attentionFactor() > 0) {
            return s.attentionFactor();
        }
        if (s.mscale() > 0 && s.mscaleAllDim() > 0) {
            return yarnMscale(s.factor(), s.mscale()) / yarnMscale(s.factor(), s.mscaleAllDim());
        }
        return yarnMscale(s.factor(), 1);
    }

    private static double yarnMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    // ---------------------------------------------------------------------------------------------

    /**
     * out = rope(in) for rows {@code (BT, NH, HS)}; token row {@code r} is at position
     * {@code positions[posOff + r]}. May run in place.
     */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int[] positions, int posOff,
                               Table table, int BT, int NH) {
        checkPositions(positions, posOff, BT, table);
        checkRows(out, outOff, in, inOff, BT, NH, table);
        apply(out, outOff, in, inOff, positions, posOff, 0, 1, table, BT, NH, false, false);
    }

    /** out = rope(in) for {@code (B, T, NH, HS)} where token {@code t} of every row is at {@code start + t}. */
    public static void forward(float[] out, int outOff, float[] in, int inOff, int start, Table table, int B, int T, int NH) {
        checkStart(start, T, table);
        checkRows(out, outOff, in, inOff, B * T, NH, table);
        apply(out, outOff, in, inOff, null, 0, start, T, table, B * T, NH, false, false);
    }

    /** dIn += ropeᵀ(dOut): the rotation by −angle (times the attention scaling). dIn must not overlap dOut. */
    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int[] positions, int posOff,
                                Table table, int BT, int NH) {
        checkPositions(positions, posOff, BT, table);
        checkRows(dIn, dInOff, dOut, dOutOff, BT, NH, table);
        checkNoOverlap(dIn, dInOff, dOut, dOutOff, BT * NH * table.headSize());
        apply(dIn, dInOff, dOut, dOutOff, positions, posOff, 0, 1, table, BT, NH, true, true);
    }

    /** Backward of the start-offset forward. */
    public static void backward(float[] dIn, int dInOff, float[] dOut, int dOutOff, int start, Table table, int B, int T, int NH) {
        checkStart(start, T, table);
        checkRows(dIn, dInOff, dOut, dOutOff, B * T, NH, table);
        checkNoOverlap(dIn, dInOff, dOut, dOutOff, B * T * NH * table.headSize());
        apply(dIn, dInOff, dOut, dOutOff, null, 0, start, T, table, B * T, NH, true, true);
    }

    /** Scalar reference of {@link #forward(float[], int, float[], int, int[], int, Table, int, int)}. */
    public static void forwardScalar(float[] out, int outOff, float[] in, int inOff, int[] positions, int posOff,
                                     Table table, int BT, int NH) {
        checkPositions(positions, posOff, BT, table);
        checkRows(out, outOff, in, inOff, BT, NH, table);
        for (int r = 0; r < BT; r++) {
            rotateRowScalar(out, outOff, in, inOff, positions[posOff + r], table, r, NH, false, false);
        }
    }

    /** Scalar reference of {@link #backward(float[], int, float[], int, int[], int, Table, int, int)}. */
    public static void backwardScalar(float[] dIn, int dInOff, float[] dOut, int dOutOff, int[] positions, int posOff,
                                      Table table, int BT, int NH) {
        checkPositions(positions, posOff, BT, table);
        checkRows(dIn, dInOff, dOut, dOutOff, BT, NH, table);
        checkNoOverlap(dIn, dInOff, dOut, dOutOff, BT * NH * table.headSize());
        for (int r = 0; r < BT; r++) {
            rotateRowScalar(dIn, dInOff, dOut, dOutOff, positions[posOff + r], table, r, NH, true, true);
        }
    }

    /** positions == null means position = start + (r % T). */
    private static void apply(float[] out, int outOff, float[] in, int inOff, int[] positions, int posOff, int start, int T,
                              Table table, int BT, int NH, boolean inverse, boolean accumulate) {
        Parallel.forRange(BT, (from, to) -> {
            for (int r = from; r < to; r++) {
                int pos = positions != null ? positions[posOff + r] : start + r % T;
                if (Simd.ENABLED) {
                    rotateRow(out, outOff, in, inOff, pos, table, r, NH, inverse, accumulate);
                } else {
                    rotateRowScalar(out, outOff, in, inOff, pos, table, r, NH, inverse, accumulate);
                }
            }
        });
    }

    private static void rotateRow(float[] out, int outOff, float[] in, int inOff, int pos, Table table, int r, int NH,
                                  boolean inverse, boolean accumulate) {
        int HS = table.headSize();
        int half = table.rotaryDim() / 2;
        int trig = pos * half;
        float[] cosT = table.cos();
        float[] sinT = table.sin();
        int bound = Simd.F.loopBound(half);
        for (int h = 0; h < NH; h++) {
            int o = outOff + (r * NH + h) * HS;
            int x = inOff + (r * NH + h) * HS;
            int i = 0;
            for (; i < bound; i += Simd.LANES) {
                FloatVector c = FloatVector.fromArray(Simd.F, cosT, trig + i);
                FloatVector s = FloatVector.fromArray(Simd.F, sinT, trig + i);
                if (inverse) {
                    s = s.neg();
                }
                FloatVector x1 = FloatVector.fromArray(Simd.F, in, x + i);
                FloatVector x2 = FloatVector.fromArray(Simd.F, in, x + half + i);
                FloatVector y1 = x1.mul(c).sub(x2.mul(s));
                FloatVector y2 = x2.mul(c).add(x1.mul(s));
                if (accumulate) {
                    y1 = y1.add(FloatVector.fromArray(Simd.F, out, o + i));
                    y2 = y2.add(FloatVector.fromArray(Simd.F, out, o + half + i));
                }
                y1.intoArray(out, o + i);
                y2.intoArray(out, o + half + i);
            }
            for (; i < half; i++) {
                rotatePair(out, o, in, x, i, half, cosT[trig + i], inverse ? -sinT[trig + i] : sinT[trig + i], accumulate);
            }
            passTail(out, o, in, x, 2 * half, HS, accumulate);
        }
    }

    private static void rotateRowScalar(float[] out, int outOff, float[] in, int inOff, int pos, Table table, int r, int NH,
                                        boolean inverse, boolean accumulate) {
        int HS = table.headSize();
        int half = table.rotaryDim() / 2;
        int trig = pos * half;
        for (int h = 0; h < NH; h++) {
            int o = outOff + (r * NH + h) * HS;
            int x = inOff + (r * NH + h) * HS;
            for (int i = 0; i < half; i++) {
                float s = table.sin()[trig + i];
                rotatePair(out, o, in, x, i, half, table.cos()[trig + i], inverse ? -s : s, accumulate);
            }
            passTail(out, o, in, x, 2 * half, HS, accumulate);
        }
    }

    private static void rotatePair(float[] out, int o, float[] in, int x, int i, int half, float c, float s, boolean accumulate) {
        float x1 = in[x + i];
        float x2 = in[x + half + i];
        float y1 = x1 * c - x2 * s;
        float y2 = x2 * c + x1 * s;
        if (accumulate) {
            out[o + i] += y1;
            out[o + half + i] += y2;
        } else {
            out[o + i] = y1;
            out[o + half + i] = y2;
        }
    }

    /** The dims past rotaryDim pass through unchanged (identity, so their gradient too). */
    private static void passTail(float[] out, int o, float[] in, int x, int from, int HS, boolean accumulate) {
        if (accumulate) {
            for (int d = from; d < HS; d++) {
                out[o + d] += in[x + d];
            }
        } else if (out != in || o != x) {
            System.arraycopy(in, x + from, out, o + from, HS - from);
        }
    }

    private static void checkPositions(int[] positions, int posOff, int BT, Table table) {
        if (posOff < 0 || positions.length - posOff < BT) {
            throw new IllegalArgumentException("rope: positions has " + positions.length + " entries, need " + BT
                    + " from offset " + posOff);
        }
        for (int r = 0; r < BT; r++) {
            int p = positions[posOff + r];
            if (p < 0 || p >= table.maxPositions()) {
                throw new IllegalArgumentException("rope: position " + p + " of token " + r + " is outside the table's [0, "
                        + table.maxPositions() + ")");
            }
        }
    }

    private static void checkRows(float[] out, int outOff, float[] in, int inOff, int BT, int NH, Table table) {
        long n = (long) BT * NH * table.headSize();
        if (NH <= 0 || BT < 0) {
            throw new IllegalArgumentException("rope: need NH > 0 and BT >= 0, got " + NH + " and " + BT);
        }
        if (outOff < 0 || out.length - (long) outOff < n || inOff < 0 || in.length - (long) inOff < n) {
            throw new IllegalArgumentException("rope: rows (" + BT + ", " + NH + ", " + table.headSize() + ") need " + n
                    + " floats; output has " + (out.length - (long) outOff) + " from offset " + outOff + ", input has "
                    + (in.length - (long) inOff) + " from offset " + inOff);
        }
    }

    private static void checkStart(int start, int T, Table table) {
        if (start < 0 || (long) start + T > table.maxPositions()) {
            throw new IllegalArgumentException("rope: positions [" + start + ", " + ((long) start + T)
                    + ") are outside the table's [0, " + table.maxPositions() + ")");
        }
    }

    private static void checkNoOverlap(float[] a, int aOff, float[] b, int bOff, int n) {
        if (a == b && aOff < bOff + n && bOff < aOff + n) {
            throw new IllegalArgumentException("rope backward: dIn and dOut overlap; the gradient accumulates, give it its own buffer");
        }
    }
}
