package io.supportlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void wrapRejectsAMismatchedShapeWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void shapesMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Shape.of(3, 0));
    }

    @Test
    void convertedTensorsReadBackWithinTheirPrecision() {
        float[] values = {1f, -0.5f, 3.14159f, 1e-3f};
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Tensor tensor = Tensor.convert(values, t, arena, 2, 2);
                assertEquals(t, tensor.dtype());
                float tol = t == DType.BF16 ? 1e-2f : t == DType.F16 ? 1e-3f : 0f;
                for (int i = 0; i < values.length; i++) {
                    assertEquals(values[i], tensor.getFloat(i), Math.abs(values[i]) * tol, t + " element " + i);
                }
            }
        }
    }

    @Test
    void requireShapeNamesTheTensor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).requireShape("q_proj.weight", 3, 2));
        assertTrue(e.getMessage().startsWith("q_proj.weight"), e.getMessage());
    }
}
