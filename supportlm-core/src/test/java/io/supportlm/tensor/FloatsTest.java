package io.supportlm.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FloatsTest {
    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(1.0f, Floats.bf16ToFloat(Floats.floatToBf16(1.0f)));
        // 1 + 2^-8 lies exactly between two bf16 values (1 and 1 + 2^-7): ties go to the even one, 1.
        assertEquals(1.0f, Floats.bf16ToFloat(Floats.floatToBf16(1.0f + 0x1p-8f)));
        // 1 + 3·2^-8 is between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up to the even one.
        assertEquals(1.0f + 0x1p-6f, Floats.bf16ToFloat(Floats.floatToBf16(1.0f + 3 * 0x1p-8f)));
        assertTrue(Float.isNaN(Floats.bf16ToFloat(Floats.floatToBf16(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, Floats.bf16ToFloat(Floats.floatToBf16(Float.NEGATIVE_INFINITY)));
    }

    @Test
    void f16RoundTripsRepresentableValues() {
        for (float f : new float[] {0f, -2.5f, 65504f, 0.000061035156f}) {
            assertEquals(f, Floats.f16ToFloat(Floats.floatToF16(f)));
        }
    }
}
