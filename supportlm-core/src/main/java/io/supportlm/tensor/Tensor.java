package io.supportlm.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A typed, shaped view of memory. The memory is either a Java {@code float[]} (trainable
 * parameters, gradients, activations: the kernels' fast path) or any {@link MemorySegment}
 * (memory-mapped checkpoint weights in f32, bf16 or f16, read without copying). Data is
 * little-endian and row-major, as in safetensors.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final Shape shape;
    private final MemorySegment data;
    private final float[] array; // non-null when the data is a whole float[] on the heap

    private Tensor(DType dtype, Shape shape, MemorySegment data, float[] array) {
        long expected = shape.size() * dtype.byteSize();
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor of shape " + shape + " and dtype " + dtype
                    + " needs " + expected + " bytes, the memory has " + data.byteSize());
        }
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
        this.array = array;
    }

    /** A zero-filled f32 tensor on the heap. */
    public static Tensor zeros(int... dims) {
        Shape shape = Shape.of(dims);
        return wrap(new float[Math.toIntExact(shape.size())], dims);
    }

    /** Wraps a float array without copying; its length must equal the shape's size. */
    public static Tensor wrap(float[] values, int... dims) {
        Shape shape = Shape.of(dims);
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("array of length " + values.length + " does not match shape " + shape);
        }
        return new Tensor(DType.F32, shape, MemorySegment.ofArray(values), values);
    }

    /** A view of existing memory (for example a memory-mapped safetensors file). */
    public static Tensor of(DType dtype, MemorySegment data, int... dims) {
        if (!dtype.isFloat()) {
            throw new IllegalArgumentException("compute tensors are F32, BF16 or F16, not " + dtype);
        }
        return new Tensor(dtype, Shape.of(dims), data, null);
    }

    /** Converts f32 values to the given float dtype in fresh off-heap memory owned by {@code arena}. */
    public static Tensor convert(float[] values, DType dtype, Arena arena, int... dims) {
        MemorySegment seg = arena.allocate((long) values.length * dtype.byteSize(), 64);
        for (int i = 0; i < values.length; i++) {
            long off = (long) i * dtype.byteSize();
            switch (dtype) {
                case F32 -> seg.set(F32, off, values[i]);
                case BF16 -> seg.set(I16, off, Floats.floatToBf16(values[i]));
                case F16 -> seg.set(I16, off, Floats.floatToF16(values[i]));
                default -> throw new IllegalArgumentException("cannot convert floats to " + dtype);
            }
        }
        return of(dtype, seg, dims);
    }

    public DType dtype() {
        return dtype;
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

    public MemorySegment segment() {
        return data;
    }

    /** True when {@link #array()} is available. */
    public boolean isHeapF32() {
        return array != null;
    }

    /** The backing float array of a heap f32 tensor. */
    public float[] array() {
        if (array == null) {
            throw new IllegalStateException("tensor " + shape + " (" + dtype + ") is not a heap f32 tensor");
        }
        return array;
    }

    /** Element {@code i} (flat index) widened to f32; for tests and slow paths, not for kernels. */
    public float getFloat(long i) {
        if (array != null) {
            return array[Math.toIntExact(i)];
        }
        long off = i * dtype.byteSize();
        return switch (dtype) {
            case F32 -> data.get(F32, off);
            case BF16 -> Floats.bf16ToFloat(data.get(I16, off));
            case F16 -> Floats.f16ToFloat(data.get(I16, off));
            default -> throw new IllegalStateException("not a float tensor: " + dtype);
        };
    }

    /** A copy of all elements as f32. */
    public float[] toFloatArray() {
        float[] out = new float[Math.toIntExact(size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    /** Throws a clear error unless this tensor has exactly the given dimensions. */
    public Tensor requireShape(String name, int... dims) {
        if (!shape.equals(Shape.of(dims))) {
            throw new IllegalArgumentException(name + ": expected shape " + Shape.of(dims) + ", got " + shape);
        }
        return this;
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " " + dtype;
    }
}
