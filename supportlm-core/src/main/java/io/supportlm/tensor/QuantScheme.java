package io.supportlm.tensor;

/**
 * How a frozen weight is stored in fewer bits: blockwise absmax quantization over the flat,
 * row-major element order, {@link #BLOCK_SIZE} elements per block and one f32 scale per block.
 * Every element decodes as {@code level(code) · scale[block]}.
 *
 * <ul>
 *   <li>{@link #NF4}: 4-bit NormalFloat of QLoRA (Dettmers et al., 2023, "QLoRA: Efficient
 *       Finetuning of Quantized LLMs", §3). The scale is the block's absmax; the code is the
 *       nearest of the 16 NF4 levels to {@code w / absmax}. Two codes per byte.</li>
 *   <li>{@link #INT8}: symmetric blockwise int8, {@code scale = absmax / 127},
 *       {@code code = round(w / scale)} in [-127, 127]; the level of a code is the code itself.
 *       A plain scheme (no LLM.int8() outlier decomposition): round-trip error ≤ absmax / 254.</li>
 * </ul>
 *
 * <p>Double quantization of the scales (QLoRA §3, which stores them in 8 bits per 256 blocks) is
 * not done: scales stay f32, 0.5 extra bits per weight instead of 0.127.
 */
public enum QuantScheme {
    NF4(4),
    INT8(8);

    /** Elements per absmax block, as bitsandbytes' default {@code blocksize=64} for 4-bit weights. */
    public static final int BLOCK_SIZE = 64;

    /**
     * The 16 NF4 levels, index = 4-bit code, exactly as bitsandbytes defines them
     * ({@code bitsandbytes/backends/utils.py}, {@code _NF4_QUANT_TABLE}; the same values as the
     * CUDA kernels' {@code nf4_dequantization_lut} and {@code functional.get_4bit_type("nf4")}).
     * Code 7 is exactly zero, so zeros (and padding) survive quantization.
     */
    private static final float[] NF4_LEVELS = {
        -1.0f,
        -0.6961928009986877f,
        -0.5250730514526367f,
        -0.39491748809814453f,
        -0.28444138169288635f,
        -0.18477343022823334f,
        -0.09105003625154495f,
        0.0f,
        0.07958029955625534f,
        0.16093020141124725f,
        0.24611230194568634f,
        0.33791524171829224f,
        0.44070982933044434f,
        0.5626170039176941f,
        0.7229568362236023f,
        1.0f,
    };

    /** The NF4 code of exact zero. */
    public static final int NF4_ZERO = 7;

    /** Decision thresholds between adjacent NF4 levels: the midpoints. */
    private static final float[] NF4_MIDPOINTS = new float[15];

    static {
        for (int i = 0; i < 15; i++) {
            NF4_MIDPOINTS[i] = (NF4_LEVELS[i] + NF4_LEVELS[i + 1]) / 2;
        }
    }

    private final int bits;

    QuantScheme(int bits) {
        this.bits = bits;
    }

    /** Bits per stored code. */
    public int bits() {
        return bits;
    }

    /** A copy of the 16 NF4 levels, index = code. */
    public static float[] nf4Levels() {
        return NF4_LEVELS.clone();
    }

    /** Bytes of codes plus f32 scales for {@code n} elements: the exact storage of a quantized tensor. */
    public long byteSize(long n) {
        long codeBytes = bits == 4 ? (n + 1) / 2 : n;
        return codeBytes + 4 * blocks(n);
    }

    /** Number of blocks for {@code n} elements (the last one may be partial). */
    public static long blocks(long n) {
        return (n + BLOCK_SIZE - 1) / BLOCK_SIZE;
    }

    /** The block's scale given its absmax. */
    float scaleFor(float absmax) {
        return this == NF4 ? absmax : absmax / 127f;
    }

    /**
     * The code of {@code w} in a block with scale {@code scale} (not 0), as an unsigned value
     * for NF4 (0..15) and a signed one for INT8 (-127..127).
     */
    int encode(float w, float scale) {
        if (this == INT8) {
            return Math.clamp(Math.round(w / scale), -127, 127);
        }
        // bitsandbytes multiplies by the reciprocal and clamps to [-1, 1] before the nearest-level
        // search; ties go to the lower level, like its argmin.
        float x = Math.clamp(w * (1f / scale), -1f, 1f);
        int lo = 0, hi = 15; // binary search over the 15 midpoints: code = #midpoints < x
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x > NF4_MIDPOINTS[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The level of a code: the NF4 table entry, or the int8 value itself. */
    public float level(int code) {
        return this == NF4 ? NF4_LEVELS[code] : code;
    }
}
