package io.supportlm.tensor;

/**
 * Element types a tensor can be stored in. Compute is always f32; the 16-bit float types are
 * widened to f32 inside the kernels that read them, the integer types appear in checkpoints
 * (token ids, masks, quantized blocks).
 *
 * <p>Names follow safetensors' dtype strings ({@link #safetensorsName()}).
 */
public enum DType {
    F32(4, "F32"),
    BF16(2, "BF16"),
    F16(2, "F16"),
    I8(1, "I8"),
    U8(1, "U8"),
    I32(4, "I32"),
    I64(8, "I64"),
    BOOL(1, "BOOL");

    private final int byteSize;
    private final String safetensorsName;

    DType(int byteSize, String safetensorsName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    /** True for the types a kernel can read as floating-point weights. */
    public boolean isFloat() {
        return this == F32 || this == BF16 || this == F16;
    }

    /** The dtype for a safetensors name, or an exception that lists the known names. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: F32, BF16, F16, I8, U8, I32, I64, BOOL)");
    }
}
