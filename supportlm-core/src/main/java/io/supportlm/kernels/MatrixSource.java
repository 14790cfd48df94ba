package io.supportlm.kernels;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Floats;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Where {@link Gemm} reads its B operand from, by storage: a float {@link Tensor} (f32, bf16 or
 * f16, heap or mapped) or a blockwise-quantized weight (NF4, INT8). Each widens runs of consecutive
 * elements to f32 while Gemm packs its panels, so the micro-kernel only ever sees f32.
 */
public sealed interface MatrixSource permits MatrixSource.Dense, MatrixSource.Quantized {
    /** Number of elements. */
    long size();

    /** Element {@code i} (flat index) as f32: the scalar reference's path. */
    float get(long i);

    /**
     * Reads the {@code n} consecutive elements from flat index {@code s}, widened to f32, into
     * {@code dst} at {@code d, d+step, d+2·step, …}; {@code scratch} is per-thread working memory
     * a source may use.
     */
    void readInto(long s, int n, float[] dst, int d, int step, float[] scratch);

    /** A float tensor: f32 copied, bf16 and f16 widened. */
    record Dense(Tensor tensor) implements MatrixSource {
        private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final VectorSpecies<Short> HALF = VectorShape.forBitSize(Simd.F.vectorBitSize() / 2).withLanes(short.class);
        private static final VectorSpecies<Integer> INTS = Simd.F.vectorShape().withLanes(int.class);

        @Override
        public long size() {
            return tensor.size();
        }

        @Override
        public float get(long i) {
            return tensor.getFloat(i);
        }

        @Override
        public void readInto(long s, int n, float[] dst, int d, int step, float[] scratch) {
            if (tensor.isHeapF32()) {
                float[] src = tensor.array();
                int si = (int) s;
                if (step == 1) {
                    System.arraycopy(src, si, dst, d, n);
                } else {
                    for (int i = 0; i < n; i++, d += step) {
                        dst[d] = src[si + i];
                    }
                }
                return;
            }
            if (step != 1 && scratch != null && scratch.length >= n) {
                // A strided destination (a transposed weight's row becoming a panel column): widen
                // contiguously first, where the bulk and vector paths below apply, then scatter.
                readInto(s, n, scratch, 0, 1, null);
                for (int i = 0; i < n; i++, d += step) {
                    dst[d] = scratch[i];
                }
                return;
            }
            MemorySegment seg = tensor.segment();
            DType dtype = tensor.dtype();
            long byteOff = s * dtype.byteSize();
            switch (dtype) {
                case F32 -> {
                    if (step == 1) {
                        MemorySegment.copy(seg, F32_LE, byteOff, dst, d, n);
                        return;
                    }
                    for (int i = 0; i < n; i++, d += step, byteOff += 4) {
                        dst[d] = seg.get(F32_LE, byteOff);
                    }
                }
                case BF16 -> {
                    int i = 0;
                    if (step == 1 && Simd.ENABLED) {
                        // bf16 is the upper half of an f32: widen a vector of shorts to ints and shift.
                        for (; i + Simd.LANES <= n; i += Simd.LANES, d += Simd.LANES, byteOff += 2L * Simd.LANES) {
                            ShortVector bits = ShortVector.fromMemorySegment(HALF, seg, byteOff, ByteOrder.LITTLE_ENDIAN);
                            ((IntVector) bits.convertShape(VectorOperators.S2I, INTS, 0)).lanewise(VectorOperators.LSHL, 16)
                                    .reinterpretAsFloats().intoArray(dst, d);
                        }
                    }
                    for (; i < n; i++, d += step, byteOff += 2) {
                        dst[d] = Floats.bf16ToFloat(seg.get(I16_LE, byteOff));
                    }
                }
                case F16 -> {
                    for (int i = 0; i < n; i++, d += step, byteOff += 2) {
                        dst[d] = Floats.f16ToFloat(seg.get(I16_LE, byteOff));
                    }
                }
                default -> throw new IllegalArgumentException("matrix operand must be F32, BF16 or F16, not " + dtype);
            }
        }
    }

    /**
     * A quantized weight, dequantized while packing ({@link Dequantize}). A strided destination
     * (a transposed weight's row becoming a panel column) is decoded contiguously into
     * {@code scratch} first, so the vector decoder always runs on contiguous memory.
     */
    record Quantized(QuantizedTensor weights) implements MatrixSource {
        @Override
        public long size() {
            return weights.size();
        }

        @Override
        public float get(long i) {
            return weights.getFloat(i);
        }

        @Override
        public void readInto(long s, int n, float[] dst, int d, int step, float[] scratch) {
            if (step == 1) {
                Dequantize.run(weights, s, n, dst, d);
                return;
            }
            for (int done = 0; done < n; ) {
                int len = Math.min(scratch.length, n - done);
                Dequantize.run(weights, s + done, len, scratch, 0);
                for (int i = 0; i < len; i++, d += step) {
                    dst[d] = scratch[i];
                }
                done += len;
            }
        }
    }
}
