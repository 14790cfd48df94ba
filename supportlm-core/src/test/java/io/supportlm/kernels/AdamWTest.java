package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.supportlm.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdamWTest {
    @Test
    void twoStepsMatchPyTorchsFormula() {
        // Expected values computed by hand (in double, Python) from torch.optim.AdamW's update:
        // p *= 1 - lr·wd; m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²;
        // p -= lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps), with lr 0.01, β 0.9/0.999, eps 1e-8, wd 0.1.
        AdamW.Config config = new AdamW.Config(0.9, 0.999, 1e-8, 0.1);
        float[] p = {1.0f, -2.0f, 0.5f, 0.0f};
        float[] m = new float[4];
        float[] v = new float[4];
        AdamW.update(p, 0, m, 0, v, 0, new float[] {0.1f, -0.2f, 0.3f, 1e-3f}, 0, 4, 0.01f, 1, config);
        assertClose("step 1", p, new double[] {0.9890000009999999, -1.9880000005, 0.4895000003333333,
                -0.009999900000999989}, 1e-6, 1e-7);
        AdamW.update(p, 0, m, 0, v, 0, new float[] {-0.05f, 0.4f, 0.0f, -1e-3f}, 0, 4, 0.01f, 2, config);
        assertClose("step 2", p, new double[] {0.9853476309393391, -1.989673035654104, 0.4823099181075821,
                -0.009463589574630574}, 1e-6, 1e-7);
        assertClose("m", m, new double[] {0.004, 0.022, 0.027, -1e-5}, 1e-5, 1e-9);
        assertClose("v", v, new double[] {1.249e-5, 1.9996e-4, 8.991e-5, 1.999e-9}, 1e-5, 1e-12);
    }

    @Test
    void vectorAndScalarPathsAreBitIdenticalForAnyThreadCount() {
        int n = Work.MIN_PARALLEL + 1003;
        Random rng = new Random(1);
        float[] p0 = randomFloats(rng, n, 1f);
        float[] g = randomFloats(rng, n, 0.1f);
        float[] p = p0.clone();
        float[] m = new float[n];
        float[] v = new float[n];
        for (int step = 1; step <= 3; step++) {
            AdamW.updateScalar(p, 0, m, 0, v, 0, g, 0, n, 1e-3f, step, AdamW.Config.DEFAULTS);
        }
        int saved = Parallel.threads();
        try {
            for (int threads : new int[] {1, 3}) {
                Parallel.setThreads(threads);
                float[] q = p0.clone();
                float[] mq = new float[n];
                float[] vq = new float[n];
                for (int step = 1; step <= 3; step++) {
                    AdamW.update(q, 0, mq, 0, vq, 0, g, 0, n, 1e-3f, step, AdamW.Config.DEFAULTS);
                }
                assertArrayEquals(p, q, "params, threads=" + threads);
                assertArrayEquals(m, mq, "m, threads=" + threads);
                assertArrayEquals(v, vq, "v, threads=" + threads);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void updatesOnlyTheGivenSlice() {
        float[] p = {5, 1, 1, 5};
        float[] m = new float[4];
        float[] v = new float[4];
        AdamW.update(p, 1, m, 1, v, 1, new float[] {9, 1, 1}, 1, 2, 0.1f, 1, AdamW.Config.DEFAULTS);
        assertArrayEquals(new float[] {5, 5}, new float[] {p[0], p[3]});
        assertArrayEquals(new float[] {0, 0}, new float[] {m[0], m[3]});
    }

    @Test
    void invalidHyperparametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Config(1f, 0.999f, 1e-8f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Config(0.9f, 0.999f, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW.Config(0.9f, 0.999f, 1e-8f, -1f));
        float[] a = new float[2];
        assertThrows(IllegalArgumentException.class,
                () -> AdamW.update(a, 0, a.clone(), 0, a.clone(), 0, a.clone(), 0, 2, 0.1f, 0, AdamW.Config.DEFAULTS));
    }
}
