package io.supportlm.io;

import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors read from checkpoint files: one safetensors file ({@link SafetensorsFile}) or a
 * sharded set ({@link Checkpoint}). Views are lazy and share the mapped memory; they stay valid
 * until the store is closed.
 */
public interface WeightStore extends AutoCloseable {
    /** All tensor names, in a stable (sorted) order. */
    Set<String> names();

    default boolean contains(String name) {
        return names().contains(name);
    }

    /** Header entry of a tensor; a clear error naming the tensor and the file(s) when absent. */
    TensorInfo info(String name);

    /**
     * A float view (F32, BF16 or F16) of a tensor, without copying. Fails clearly for integer
     * dtypes (use {@link #bytes}) and for 0-element tensors, which {@code Tensor} cannot represent.
     */
    Tensor tensor(String name);

    /** The raw little-endian bytes of a tensor, read-only, without copying (any dtype, any size). */
    MemorySegment bytes(String name);

    /**
     * The values of an integer or boolean tensor (I8, U8, I32, I64, BOOL), widened to {@code long}
     * (U8 as unsigned, BOOL as 0/1), row-major. A copy; meant for small tensors (ids, masks).
     */
    default long[] toLongArray(String name) {
        TensorInfo info = info(name);
        DType dtype = info.engineDType().filter(t -> !t.isFloat()).orElseThrow(() -> new IllegalArgumentException(
                "tensor '" + name + "' has dtype " + info.dtype() + ", not an integer dtype (I8, U8, I32, I64, BOOL)"));
        MemorySegment seg = bytes(name);
        long n = info.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + n + " elements, too many for an array");
        }
        long[] out = new long[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case I8 -> seg.get(ValueLayout.JAVA_BYTE, i);
                case U8 -> Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, i));
                case BOOL -> seg.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
                case I32 -> seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
                case I64 -> seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
                default -> throw new IllegalStateException("unreachable: " + dtype);
            };
        }
        return out;
    }

    /** The {@code __metadata__} string map (merged over shards for a sharded checkpoint). */
    Map<String, String> metadata();

    @Override
    void close();
}
