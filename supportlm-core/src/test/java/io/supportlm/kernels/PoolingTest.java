package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertGradient;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PoolingTest {
    static final int B = 3, T = 4, C = 5;
    // row 0 right-padded, row 1 left-padded, row 2 full
    static final int[] MASK = {1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1};

    static double[] reference(double[] h, Pooling.Mode mode) {
        double[] out = new double[B * C];
        for (int b = 0; b < B; b++) {
            int first = -1, last = -1, count = 0;
            for (int t = 0; t < T; t++) {
                if (MASK[b * T + t] == 1) {
                    if (first < 0) {
                        first = t;
                    }
                    last = t;
                    count++;
                }
            }
            for (int c = 0; c < C; c++) {
                double v = 0;
                if (mode == Pooling.Mode.MEAN) {
                    for (int t = 0; t < T; t++) {
                        v += MASK[b * T + t] == 1 ? h[(b * T + t) * C + c] / count : 0;
                    }
                } else {
                    v = h[(b * T + (mode == Pooling.Mode.CLS ? first : last)) * C + c];
                }
                out[b * C + c] = v;
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Pooling.Mode.class)
    void forwardAndBackwardMatchTheDefinition(Pooling.Mode mode) {
        Random rng = new Random(mode.ordinal());
        float[] h = randomFloats(rng, B * T * C, 1f);
        float[] g = randomFloats(rng, B * C, 1f);
        float[] pooled = new float[B * C];
        Pooling.forward(pooled, h, MASK, mode, B, T, C);
        GradCheck.assertClose("pooled", pooled, reference(GradCheck.toDouble(h), mode), 1e-6, 1e-6);
        float[] dh = new float[B * T * C];
        Pooling.backward(dh, g, MASK, mode, B, T, C);
        assertGradient("dHidden", dh, GradCheck.toDouble(h), v -> GradCheck.dot(reference(v, mode), g));
    }

    @Test
    void lastPoolingReadsTheLastRealTokenWithLeftOrRightPadding() {
        float[] h = new float[B * T * C];
        for (int i = 0; i < h.length; i++) {
            h[i] = i / C; // every channel holds the flat token index
        }
        float[] pooled = new float[B * C];
        Pooling.forward(pooled, h, MASK, Pooling.Mode.LAST, B, T, C);
        assertArrayEquals(new float[] {1, 7, 11}, new float[] {pooled[0], pooled[C], pooled[2 * C]});
        Pooling.forward(pooled, h, MASK, Pooling.Mode.CLS, B, T, C);
        assertArrayEquals(new float[] {0, 5, 8}, new float[] {pooled[0], pooled[C], pooled[2 * C]});
    }
}
