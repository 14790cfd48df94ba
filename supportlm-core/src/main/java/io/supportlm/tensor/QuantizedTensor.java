package io.supportlm.tensor;

/**
 * A frozen weight stored blockwise-quantized ({@link QuantScheme}): codes plus one f32 scale per
 * {@link QuantScheme#BLOCK_SIZE} elements, blocks running over the flat row-major order as in
 * bitsandbytes. Immutable once built; kernels read {@link #codes()} and {@link #scales()} directly.
 *
 * <p>NF4 packing follows bitsandbytes ({@code quantize_4bit}: {@code packed = q[::2] << 4 | q[1::2]}):
 * element {@code 2i} is the high nibble of byte {@code i}, element {@code 2i+1} the low nibble; an
 * odd element count pads the last low nibble with the zero code. INT8 stores one signed byte per
 * element.
 */
public final class QuantizedTensor {
    private final QuantScheme scheme;
    private final Shape shape;
    private final byte[] codes; // NF4: (size+1)/2 packed nibbles; INT8: size signed bytes
    private final float[] scales; // (blocks): NF4 absmax, INT8 absmax/127

    private QuantizedTensor(QuantScheme scheme, Shape shape, byte[] codes, float[] scales) {
        this.scheme = scheme;
        this.shape = shape;
        this.codes = codes;
        this.scales = scales;
    }

    /**
     * Quantizes any float tensor (heap or mapped, f32/bf16/f16). {@code name} names the tensor in
     * the error raised for a non-finite element, which no absmax scale can represent.
     */
    public static QuantizedTensor quantize(String name, Tensor t, QuantScheme scheme) {
        long size = t.size();
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": " + size + " elements is more than one quantized tensor holds");
        }
        int n = (int) size;
        int block = QuantScheme.BLOCK_SIZE;
        float[] scales = new float[Math.toIntExact(QuantScheme.blocks(n))];
        byte[] codes = new byte[scheme == QuantScheme.NF4 ? (n + 1) / 2 : n];
        float[] values = new float[block];
        for (int b = 0; b < scales.length; b++) {
            int start = b * block;
            int len = Math.min(block, n - start);
            float absmax = 0f;
            for (int i = 0; i < len; i++) {
                float v = t.getFloat(start + i);
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(name + ": element " + (start + i) + " is " + v
                            + "; only finite weights can be quantized");
                }
                values[i] = v;
                absmax = Math.max(absmax, Math.abs(v));
            }
            float scale = scheme.scaleFor(absmax);
            scales[b] = scale;
            for (int i = 0; i < len; i++) {
                int code = scale == 0f ? zeroCode(scheme) : scheme.encode(values[i], scale);
                store(scheme, codes, start + i, code);
            }
        }
        if (scheme == QuantScheme.NF4 && (n & 1) == 1) {
            store(scheme, codes, n, QuantScheme.NF4_ZERO);
        }
        return new QuantizedTensor(scheme, t.shape(), codes, scales);
    }

    private static int zeroCode(QuantScheme scheme) {
        return scheme == QuantScheme.NF4 ? QuantScheme.NF4_ZERO : 0;
    }

    private static void store(QuantScheme scheme, byte[] codes, int i, int code) {
        if (scheme == QuantScheme.INT8) {
            codes[i] = (byte) code;
        } else if ((i & 1) == 0) {
            codes[i >> 1] = (byte) ((codes[i >> 1] & 0x0F) | (code << 4));
        } else {
            codes[i >> 1] = (byte) ((codes[i >> 1] & 0xF0) | code);
        }
    }

    /** The code of element {@code i}: 0..15 for NF4, -127..127 for INT8. */
    public int code(long i) {
        int k = Math.toIntExact(i);
        if (scheme == QuantScheme.INT8) {
            return codes[k];
        }
        int packed = codes[k >> 1];
        return (k & 1) == 0 ? (packed >> 4) & 0x0F : packed & 0x0F;
    }

    /** Element {@code i} (flat index) dequantized; for tests and slow paths, not for kernels. */
    public float getFloat(long i) {
        return scheme.level(code(i)) * scales[(int) (i / QuantScheme.BLOCK_SIZE)];
    }

    /** All elements dequantized to f32. */
    public float[] dequantize() {
        float[] out = new float[Math.toIntExact(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    public QuantScheme scheme() {
        return scheme;
    }

    public Shape shape() {
        return shape;
    }

    public int dim(int i) {
        return shape.dim(i);
    }

    public long size() {
        return shape.size();
    }

    /** The packed codes, shared (kernels read them; never write). */
    public byte[] codes() {
        return codes;
    }

    /** The per-block scales, shared (kernels read them; never write). */
    public float[] scales() {
        return scales;
    }

    /** Bytes held: codes plus f32 scales (equals {@link QuantScheme#byteSize(long)} of the size). */
    public long byteSize() {
        return codes.length + 4L * scales.length;
    }

    @Override
    public String toString() {
        return "QuantizedTensor" + shape + " " + scheme;
    }
}
