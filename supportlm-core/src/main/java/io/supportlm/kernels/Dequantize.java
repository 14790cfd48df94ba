package io.supportlm.kernels;

import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Blockwise dequantization, {@code w[i] = level(code[i]) · scale[i / 64]} ({@link QuantScheme}):
 * what {@link Gemm} runs while packing a quantized B operand into f32 panels.
 *
 * <p>The vector path works on runs of {@link Simd#LANES} elements that start on a multiple of the
 * lane count, so a run never straddles two blocks (64 is a multiple of 8 and 16) and one broadcast
 * scale serves it. NF4 is a 16-entry table lookup: 8 packed bytes are duplicated lane-pairwise,
 * shifted by 4 (even lanes, the high nibbles) or 0 (odd lanes), masked to 4 bits, widened to int
 * lanes and used as a permutation of the 16-lane table vector — which needs 16 float lanes
 * (AVX-512); narrower machines take the scalar path for NF4. INT8 widens 16 (or 8) signed bytes to
 * floats for any lane count.
 */
public final class Dequantize {
    private Dequantize() {}

    private static final VectorSpecies<Float> F = Simd.F;
    private static final int L = Simd.LANES;
    /** Bytes holding one vector's worth of int8 codes. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * L));
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_512;
    private static final boolean NF4_VECTOR = L == 16;
    private static final float[] NF4 = QuantScheme.nf4Levels();
    private static final FloatVector NF4_TABLE = NF4_VECTOR ? FloatVector.fromArray(F, NF4, 0) : null;
    /** Lane m takes packed byte m/2: both nibbles of a byte land in adjacent lanes. */
    private static final VectorShuffle<Byte> PAIRS = NF4_VECTOR
            ? VectorShuffle.fromOp(ByteVector.SPECIES_128, m -> m / 2) : null;
    /** Even lanes hold the high nibble (shift 4), odd lanes the low one: bitsandbytes' order. */
    private static final ByteVector NIBBLE_SHIFT = NF4_VECTOR
            ? ByteVector.fromArray(ByteVector.SPECIES_128, new byte[] {4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0}, 0)
            : null;

    /** {@code dst[d + i] = q[start + i]} for {@code i < n}, vectorized when {@link Simd#ENABLED}. */
    public static void run(QuantizedTensor q, long start, int n, float[] dst, int d) {
        if (!Simd.ENABLED || (q.scheme() == QuantScheme.NF4 && !NF4_VECTOR)) {
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
            // A 16-byte load covers 32 codes; stay off the array's end with the scalar tail.
            int last = Math.min(end, (codes.length - 16) * 2);
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

    /** Sixteen NF4 weights from the 8 packed bytes at {@code byteOff}, times the block's scale. */
    private static FloatVector nf4Lanes(byte[] codes, int byteOff, float scale) {
        ByteVector nibbles = ByteVector.fromArray(ByteVector.SPECIES_128, codes, byteOff)
                .rearrange(PAIRS)
                .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT)
                .and((byte) 0x0F);
        IntVector index = (IntVector) nibbles.convertShape(VectorOperators.B2I, INTS, 0);
        return NF4_TABLE.rearrange(index.toShuffle().cast(F)).mul(scale);
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
