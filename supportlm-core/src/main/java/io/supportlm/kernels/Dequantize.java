package io.supportlm.kernels;

import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blockwise dequantization, {@code w[i] = level(code[i]) · scale[i / 64]} ({@link QuantScheme}):
 * what {@link Gemm} runs while packing a quantized B operand into f32 panels.
 *
 * <p>The vector path works on runs of {@link Simd#LANES} elements that start on a multiple of the
 * lane count, so a run never straddles two blocks (64 is a multiple of 4, 8 and 16) and one
 * broadcast scale serves it. NF4 is a 16-entry table lookup: L/2 packed bytes are duplicated
 * lane-pairwise, shifted right by 4 (even lanes: the high nibbles) or 0 (odd lanes), masked to 4
 * bits and widened to int lanes, which permute the table. With 16 float lanes (AVX-512) the table
 * is one vector and the lookup one permute; with fewer lanes it is 16/L vectors, each permuted and
 * blended in where the code falls in its range. INT8 widens L signed bytes to floats. Machines
 * with fewer than 8 float lanes take the scalar path.
 */
public final class Dequantize {
    private Dequantize() {}

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;
    /**
     * The vector path needs L byte lanes in a real vector shape (at least 64 bits: L ≥ 8) and the
     * NF4 table to split into whole vectors (L divides 16): AVX2 and AVX-512. Others run scalar.
     */
    private static final boolean VECTOR = L >= 8 && 16 % L == 0;
    /** L byte lanes: L int8 codes, or (holding L/2 meaningful bytes) L NF4 codes. */
    private static final VectorSpecies<Byte> BYTES = VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L)) : null;
    private static final VectorSpecies<Integer> INTS = VECTOR ? VectorSpecies.of(int.class, VectorShape.forBitSize(32 * L)) : null;
    private static final float[] NF4 = QuantScheme.nf4Levels();
    /** The NF4 table cut into 16/L vectors; chunk c holds the levels of codes [c·L, c·L + L). */
    private static final FloatVector[] NF4_TABLE = new FloatVector[VECTOR ? 16 / L : 0];
    /** Lane m takes packed byte m/2: both nibbles of a byte land in adjacent lanes. */
    private static final VectorShuffle<Byte> PAIRS = VECTOR ? VectorShuffle.fromOp(BYTES, m -> m / 2) : null;
    /** Even lanes hold the high nibble (shift 4), odd lanes the low one: bitsandbytes' order. */
    private static final ByteVector NIBBLE_SHIFT;

    static {
        for (int c = 0; c < NF4_TABLE.length; c++) {
            NF4_TABLE[c] = FloatVector.fromArray(F, NF4, c * L);
        }
        byte[] shifts = new byte[L];
        for (int m = 0; m < L; m += 2) {
            shifts[m] = 4;
        }
        NIBBLE_SHIFT = VECTOR ? ByteVector.fromArray(BYTES, shifts, 0) : null;
    }

    /** {@code dst[d + i] = q[start + i]} for {@code i < n}, vectorized when {@link Simd#ENABLED}. */
    public static void run(QuantizedTensor q, long start, int n, float[] dst, int d) {
        if (!Simd.ENABLED || !VECTOR) {
            runScalar(q, start, n, dst, d);
            return;
        }
        byte[] codes = q.codes();
        float[] scales = q.scales();
        int s = Math.toIntExact(start);
        int end = s + n;
        int head = Math.min(end, (s + L - 1) / L * L); // scalar up to the first lane-aligned element
        runScalar(q, s, head - s, dst, d);
        d += head - s;
        s = head;
        if (q.scheme() == QuantScheme.NF4) {
            // A load of L bytes covers 2L codes; stay off the array's end with the scalar tail.
            int last = Math.min(end, (codes.length - L) * 2);
            for (; s + L <= last; s += L, d += L) {
                nf4Lanes(codes, s >> 1, scales[s / QuantScheme.BLOCK_SIZE]).intoArray(dst, d);
            }
        } else {
            for (; s + L <= end; s += L, d += L) {
                FloatVector v = (FloatVector) ByteVector.fromArray(BYTES, codes, s).convertShape(VectorOperators.B2F, F, 0);
                v.mul(scales[s / QuantScheme.BLOCK_SIZE]).intoArray(dst, d);
            }
        }
        runScalar(q, s, end - s, dst, d);
    }

    /** L NF4 weights from the L/2 packed bytes at {@code byteOff}, times the block's scale. */
    private static FloatVector nf4Lanes(byte[] codes, int byteOff, float scale) {
        ByteVector nibbles = ByteVector.fromArray(BYTES, codes, byteOff)
                .rearrange(PAIRS)
                .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT)
                .and((byte) 0x0F);
        IntVector code = (IntVector) nibbles.convertShape(VectorOperators.B2I, INTS, 0);
        if (NF4_TABLE.length == 1) {
            return NF4_TABLE[0].rearrange(code.toShuffle().cast(F)).mul(scale);
        }
        VectorShuffle<Float> within = code.and(L - 1).toShuffle().cast(F);
        FloatVector levels = NF4_TABLE[0].rearrange(within);
        for (int c = 1; c < NF4_TABLE.length; c++) {
            VectorMask<Float> inChunk = code.compare(VectorOperators.GE, c * L).cast(F);
            levels = levels.blend(NF4_TABLE[c].rearrange(within), inChunk);
        }
        return levels.mul(scale);
    }

    /** The reference: one element at a time through the code table. */
    public static void runScalar(QuantizedTensor q, long start, int n, float[] dst, int d) {
        byte[] codes = q.codes();
        float[] scales = q.scales();
        int s = Math.toIntExact(start);
        if (q.scheme() == QuantScheme.INT8) {
            for (int i = 0; i < n; i++, s++) {
                dst[d + i] = codes[s] * scales[s / QuantScheme.BLOCK_SIZE];
            }
            return;
        }
        for (int i = 0; i < n; i++, s++) {
            int packed = codes[s >> 1];
            int code = (s & 1) == 0 ? (packed >> 4) & 0x0F : packed & 0x0F;
            dst[d + i] = NF4[code] * scales[s / QuantScheme.BLOCK_SIZE];
        }
    }
}
