package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GradClipTest {
    @Test
    void returnsThePreClipNormAndScalesDownToTheMaximum() {
        float[] a = {3f, 4f};
        float[] b = {12f};
        float norm = GradClip.clip(List.of(a, b), 1f);
        assertEquals(13f, norm, 1e-6);
        float coef = (float) (1 / (13 + 1e-6));
        assertArrayEquals(new float[] {3 * coef, 4 * coef}, a, 1e-7f);
        assertArrayEquals(new float[] {12 * coef}, b, 1e-7f);
        assertEquals(1.0, GradClip.norm(List.of(a, b)), 1e-6);
    }

    @Test
    void leavesSmallGradientsUntouched() {
        float[] a = {0.3f, -0.4f};
        float[] copy = a.clone();
        float norm = GradClip.clip(List.of(a), 1f);
        assertEquals(0.5f, norm, 1e-7);
        assertArrayEquals(copy, a);
    }

    @Test
    void vectorNormAgreesWithScalarAndDouble() {
        Random rng = new Random(1);
        List<float[]> grads = List.of(randomFloats(rng, 10_007, 1f), randomFloats(rng, 33, 5f), randomFloats(rng, 1, 2f));
        double exact = 0;
        for (float[] g : grads) {
            for (float x : g) {
                exact += (double) x * x;
            }
        }
        assertEquals(Math.sqrt(exact), GradClip.norm(grads), 1e-6 * Math.sqrt(exact));
        assertEquals(Math.sqrt(exact), GradClip.normScalar(grads), 1e-6 * Math.sqrt(exact));
    }

    @Test
    void aNonFiniteNormLeavesGradientsForTheCallerToSkip() {
        float[] a = {1f, Float.NaN};
        float[] b = {1e30f, 1e30f};
        assertTrue(Float.isNaN(GradClip.clip(List.of(a), 1f)));
        assertEquals(1f, a[0]);
        // Squares beyond the f32 range make the norm infinite: reported, and nothing is scaled.
        assertEquals(Float.POSITIVE_INFINITY, GradClip.clip(List.of(b), 1f));
        assertArrayEquals(new float[] {1e30f, 1e30f}, b);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clip(List.of(a), 0f));
    }
}
