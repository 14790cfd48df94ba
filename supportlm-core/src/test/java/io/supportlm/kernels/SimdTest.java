package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class SimdTest {
    @Test
    void expIsAccurateAcrossTheFloatRange() {
        float worst = 0;
        for (float x = -87f; x <= 88f; x += 0.0137f) {
            float e = Simd.exp(FloatVector.broadcast(Simd.F, x)).lane(0);
            double ref = Math.exp(x);
            worst = (float) Math.max(worst, Math.abs(e - ref) / ref);
        }
        assertTrue(worst < 4e-7, "max relative error " + worst);
    }

    @Test
    void expHandlesTheEdges() {
        assertEquals(0f, Simd.exp(FloatVector.broadcast(Simd.F, Float.NEGATIVE_INFINITY)).lane(0));
        assertEquals(0f, Simd.exp(FloatVector.broadcast(Simd.F, -100f)).lane(0));
        assertEquals(Float.POSITIVE_INFINITY, Simd.exp(FloatVector.broadcast(Simd.F, 100f)).lane(0));
        assertEquals(1f, Simd.exp(FloatVector.broadcast(Simd.F, 0f)).lane(0));
    }

    @Test
    void tanhIsAccurateAndOdd() {
        for (float x = -12f; x <= 12f; x += 0.01f) {
            float t = Simd.tanh(FloatVector.broadcast(Simd.F, x)).lane(0);
            assertEquals(Math.tanh(x), t, 3e-7, "tanh(" + x + ")");
            assertEquals(-t, Simd.tanh(FloatVector.broadcast(Simd.F, -x)).lane(0));
        }
    }

    @Test
    void sumAddsEveryLaneInAFixedOrder() {
        float[] a = new float[Simd.LANES];
        double ref = 0;
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) Math.pow(-1.7, i);
            ref += a[i];
        }
        float s = Simd.sum(FloatVector.fromArray(Simd.F, a, 0));
        assertEquals(ref, s, 1e-4 * Math.abs(ref));
        assertEquals(s, Simd.sum(FloatVector.fromArray(Simd.F, a, 0)));
    }
}
