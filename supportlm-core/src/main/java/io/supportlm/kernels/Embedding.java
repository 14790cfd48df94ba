package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import io.supportlm.tensor.Floats;
import io.supportlm.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Token embedding lookup: {@code out[b,t,:] = wte[ids[b,t], :]} for a table wte of shape (V, C).
 *
 * <p>Backward scatters: {@code dWte[ids[b,t], :] += dOut[b,t,:]}. It runs in parallel over ranges
 * of vocabulary rows; each row sums its positions in (b, t) order, so the result is bit-identical
 * whatever the thread count (no atomics, no per-thread copies of dWte).
 *
 * <p>Forward reads the table from a {@code float[]} or from a {@link Tensor} in f32, bf16 or f16
 * (for example a memory-mapped checkpoint): bf16 is widened with vectors (a 16-bit shift), f16
 * element by element with {@link Float#float16ToFloat} (an intrinsic on current x86 and ARM).
 */
public final class Embedding {
    private Embedding() {}

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VectorSpecies<Short> HALF = VectorShape.forBitSize(F.vectorBitSize() / 2).withLanes(short.class);
    private static final VectorSpecies<Integer> INTS = F.vectorShape().withLanes(int.class);

    /** out (B·T·C) = rows of the f32 table wte (V·C) picked by ids (B·T). */
    public static void forward(float[] out, int outOff, int[] ids, int idsOff, float[] wte, int wteOff,
                               int B, int T, int C, int V) {
        checkDims(B, T, C, V);
        Work.checkRange("embedding out", out, outOff, (long) B * T * C);
        Work.checkRange("embedding wte", wte, wteOff, (long) V * C);
        checkIds(ids, idsOff, B, T, V);
        // A row copy is already the fastest vector code the JIT has; there is nothing to compute.
        Work.rows(B * T, C, (from, to) -> {
            for (int i = from; i < to; i++) {
                System.arraycopy(wte, wteOff + ids[idsOff + i] * C, out, outOff + i * C, C);
            }
        });
    }

    /** out (B·T·C) = rows of the table wte of shape (V, C) in f32, bf16 or f16, picked by ids (B·T). */
    public static void forward(float[] out, int outOff, int[] ids, int idsOff, Tensor wte, int B, int T) {
        if (wte.shape().rank() != 2) {
            throw new IllegalArgumentException("embedding wte: expected shape (V, C), got " + wte.shape());
        }
        int V = wte.dim(0);
        int C = wte.dim(1);
        if (wte.isHeapF32()) {
            forward(out, outOff, ids, idsOff, wte.array(), 0, B, T, C, V);
            return;
        }
        checkDims(B, T, C, V);
        Work.checkRange("embedding out", out, outOff, (long) B * T * C);
        checkIds(ids, idsOff, B, T, V);
        MemorySegment seg = wte.segment();
        Work.rows(B * T, C, (from, to) -> {
            for (int i = from; i < to; i++) {
                long row = ids[idsOff + i];
                int o = outOff + i * C;
                switch (wte.dtype()) {
                    case F32 -> MemorySegment.copy(seg, F32_LE, row * C * 4, out, o, C);
                    case BF16 -> {
                        if (Simd.ENABLED && seg.isNative()) {
                            widenBf16Vector(out, o, seg, row * C * 2, C);
                        } else {
                            widenRowScalar(out, o, seg, row * C * 2, C, true);
                        }
                    }
                    case F16 -> widenRowScalar(out, o, seg, row * C * 2, C, false);
                    default -> throw new IllegalArgumentException("embedding wte: dtype " + wte.dtype() + " is not a float type");
                }
            }
        });
    }

    /** dWte (V·C) += dOut (B·T·C) scattered to the rows named by ids (B·T). */
    public static void backward(float[] dWte, int dWteOff, float[] dOut, int dOutOff, int[] ids, int idsOff,
                                int B, int T, int C, int V) {
        checkDims(B, T, C, V);
        Work.checkRange("embedding dWte", dWte, dWteOff, (long) V * C);
        Work.checkRange("embedding dOut", dOut, dOutOff, (long) B * T * C);
        checkIds(ids, idsOff, B, T, V);
        int N = B * T;
        if ((long) N * C < Work.MIN_PARALLEL) {
            scatter(dWte, dWteOff, dOut, dOutOff, ids, idsOff, N, C, 0, V, Simd.ENABLED);
        } else {
            io.supportlm.tensor.Parallel.forRange(V, (v0, v1) ->
                    scatter(dWte, dWteOff, dOut, dOutOff, ids, idsOff, N, C, v0, v1, Simd.ENABLED));
        }
    }

    /** The scalar oracle of {@link #forward(float[], int, int[], int, float[], int, int, int, int, int)}. */
    public static void forwardScalar(float[] out, int outOff, int[] ids, int idsOff, float[] wte, int wteOff,
                                     int B, int T, int C, int V) {
        checkDims(B, T, C, V);
        Work.checkRange("embedding out", out, outOff, (long) B * T * C);
        Work.checkRange("embedding wte", wte, wteOff, (long) V * C);
        checkIds(ids, idsOff, B, T, V);
        for (int i = 0; i < B * T; i++) {
            int src = wteOff + ids[idsOff + i] * C;
            for (int c = 0; c < C; c++) {
                out[outOff + i * C + c] = wte[src + c];
            }
        }
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dWte, int dWteOff, float[] dOut, int dOutOff, int[] ids, int idsOff,
                                      int B, int T, int C, int V) {
        checkDims(B, T, C, V);
        Work.checkRange("embedding dWte", dWte, dWteOff, (long) V * C);
        Work.checkRange("embedding dOut", dOut, dOutOff, (long) B * T * C);
        checkIds(ids, idsOff, B, T, V);
        scatter(dWte, dWteOff, dOut, dOutOff, ids, idsOff, B * T, C, 0, V, false);
    }

    /** Adds every position whose id falls in [v0, v1), in position order. */
    private static void scatter(float[] dWte, int dWteOff, float[] dOut, int dOutOff, int[] ids, int idsOff,
                                int N, int C, int v0, int v1, boolean vector) {
        int bound = vector ? F.loopBound(C) : 0;
        for (int i = 0; i < N; i++) {
            int id = ids[idsOff + i];
            if (id < v0 || id >= v1) {
                continue;
            }
            int d = dWteOff + id * C;
            int g = dOutOff + i * C;
            int c = 0;
            for (; c < bound; c += LANES) {
                FloatVector.fromArray(F, dWte, d + c).add(FloatVector.fromArray(F, dOut, g + c)).intoArray(dWte, d + c);
            }
            for (; c < C; c++) {
                dWte[d + c] += dOut[g + c];
            }
        }
    }

    private static void widenBf16Vector(float[] out, int o, MemorySegment seg, long byteOff, int C) {
        int c = 0;
        for (int bound = F.loopBound(C); c < bound; c += LANES) {
            ShortVector bits = ShortVector.fromMemorySegment(HALF, seg, byteOff + 2L * c, ByteOrder.LITTLE_ENDIAN);
            IntVector wide = (IntVector) bits.convertShape(VectorOperators.S2I, INTS, 0);
            wide.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, o + c);
        }
        widenTail(out, o, seg, byteOff, c, C, true);
    }

    private static void widenRowScalar(float[] out, int o, MemorySegment seg, long byteOff, int C, boolean bf16) {
        widenTail(out, o, seg, byteOff, 0, C, bf16);
    }

    private static void widenTail(float[] out, int o, MemorySegment seg, long byteOff, int from, int C, boolean bf16) {
        for (int c = from; c < C; c++) {
            short bits = seg.get(I16_LE, byteOff + 2L * c);
            out[o + c] = bf16 ? Floats.bf16ToFloat(bits) : Floats.f16ToFloat(bits);
        }
    }

    private static void checkDims(int B, int T, int C, int V) {
        if (B < 1 || T < 1 || C < 1 || V < 1) {
            throw new IllegalArgumentException("embedding: dimensions must be positive, got B=" + B + ", T=" + T
                    + ", C=" + C + ", V=" + V);
        }
        if ((long) B * T * C > Integer.MAX_VALUE || (long) V * C > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("embedding: B·T·C=" + (long) B * T * C + " or V·C=" + (long) V * C
                    + " exceeds the int index range of a float[]");
        }
    }

    /** Every id must name a row of the table; the message names the first bad one and where it is. */
    private static void checkIds(int[] ids, int idsOff, int B, int T, int V) {
        Work.checkRange("embedding ids", ids, idsOff, (long) B * T);
        for (int i = 0; i < B * T; i++) {
            int id = ids[idsOff + i];
            if (id < 0 || id >= V) {
                throw new IllegalArgumentException("embedding: token id " + id + " at position (b=" + (i / T) + ", t="
                        + (i % T) + ") is outside the vocabulary of size " + V + " (valid ids 0.." + (V - 1) + ")");
            }
        }
    }
}
