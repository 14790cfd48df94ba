package io.supportlm.io;

import io.supportlm.tensor.DType;
import java.util.Arrays;
import java.util.Optional;

/**
 * One entry of a safetensors header: name, dtype as written in the file, shape and the byte range
 * {@code [begin, end)} relative to the start of the data buffer. The dtype is kept as its string
 * because a file may hold dtypes (F64, U16, F8_E4M3, ...) that the engine does not compute in; such
 * tensors are listed and validated but cannot be viewed as a {@link io.supportlm.tensor.Tensor}.
 */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar of shape {@code []}, 0 when a dimension is 0). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteLength() {
        return end - begin;
    }

    /** The engine's dtype for this entry, when it has one. */
    public Optional<DType> engineDType() {
        for (DType t : DType.values()) {
            if (t.safetensorsName().equals(dtype)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
