package io.supportlm.peft;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.assertGradient;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.supportlm.kernels.Dropout;
import io.supportlm.kernels.GradCheck;
import io.supportlm.model.FrozenLinear;
import io.supportlm.tensor.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoraLinearTest {
    static final int M = 5, IN = 7, OUT = 9, R = 3;

    static LoraConfig config(float dropout) {
        return new LoraConfig(R, 6f, dropout, List.of("query"), false, false);
    }

    static FrozenLinear base(Random rng) {
        return new FrozenLinear(Tensor.wrap(randomFloats(rng, OUT * IN, 1f), OUT, IN), randomFloats(rng, OUT, 1f));
    }

    @Test
    void aNewAdapterLeavesTheOutputUnchanged() {
        Random rng = new Random(1);
        FrozenLinear base = base(rng);
        LoraLinear lora = new LoraLinear(base, config(0f), rng, new DropoutSchedule(), 0);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] yBase = new float[M * OUT];
        float[] yLora = new float[M * OUT];
        base.forward(yBase, 0, x, 0, M);
        lora.forward(yLora, 0, x, 0, M);
        assertArrayEquals(yBase, yLora);
    }

    /** y = x·Wᵀ + b + s·(mask⊙x/(1-p))·Aᵀ·Bᵀ in double. */
    static double[] reference(double[] x, double[] w, double[] bias, double[] a, double[] b, float s, boolean[] keep, float p) {
        double[] y = new double[M * OUT];
        for (int m = 0; m < M; m++) {
            double[] xa = new double[R];
            for (int r = 0; r < R; r++) {
                for (int i = 0; i < IN; i++) {
                    double xi = x[m * IN + i];
                    if (keep != null) {
                        xi = keep[m * IN + i] ? xi / (1 - p) : 0;
                    }
                    xa[r] += xi * a[r * IN + i];
                }
            }
            for (int o = 0; o < OUT; o++) {
                double v = bias[o];
                for (int i = 0; i < IN; i++) {
                    v += x[m * IN + i] * w[o * IN + i];
                }
                for (int r = 0; r < R; r++) {
                    v += s * xa[r] * b[o * R + r];
                }
                y[m * OUT + o] = v;
            }
        }
        return y;
    }

    @ParameterizedTest(name = "dropout {0}")
    @ValueSource(floats = {0f, 0.3f})
    void backwardMatchesFiniteDifferences(float p) {
        Random rng = new Random(2);
        FrozenLinear base = base(rng);
        DropoutSchedule schedule = new DropoutSchedule();
        schedule.train(77, 5);
        float[] a = randomFloats(rng, R * IN, 1f);
        float[] b = randomFloats(rng, OUT * R, 1f); // non-zero, as after some training
        LoraLinear lora = new LoraLinear(base, R, config(p).scale(), p, schedule, 4, a, b);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] g = randomFloats(rng, M * OUT, 1f);
        float[] y = new float[M * OUT];
        lora.forward(y, 0, x, 0, M);
        float[] dx = new float[M * IN];
        lora.backward(dx, 0, g, 0, x, 0, M);

        boolean[] keep = null;
        if (p > 0) {
            keep = new boolean[M * IN];
            long seed = Dropout.seed(77, 5, 1_000_000L + 4);
            for (int i = 0; i < keep.length; i++) {
                keep[i] = Dropout.keeps(seed, i, p);
            }
        }
        boolean[] mask = keep;
        double[] xd = toDouble(x), wd = toDouble(base.weight().array()), bd = toDouble(base.bias()), ad = toDouble(a), bbd = toDouble(b);
        float s = lora.scale();
        assertClose("forward", y, reference(xd, wd, bd, ad, bbd, s, mask, p), 1e-5, 1e-5);
        assertGradient("dX", dx, xd, v -> GradCheck.dot(reference(v, wd, bd, ad, bbd, s, mask, p), g));
        assertGradient("dA", lora.gradA(), ad, v -> GradCheck.dot(reference(xd, wd, bd, v, bbd, s, mask, p), g));
        assertGradient("dB", lora.gradB(), bbd, v -> GradCheck.dot(reference(xd, wd, bd, ad, v, s, mask, p), g));
    }

    @Test
    void theMergedLayerGivesTheSameOutputAsTheAdapter() {
        Random rng = new Random(3);
        FrozenLinear base = base(rng);
        LoraLinear lora = new LoraLinear(base, R, 2f, 0f, new DropoutSchedule(), 0, randomFloats(rng, R * IN, 1f),
                randomFloats(rng, OUT * R, 1f));
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] yAdapter = new float[M * OUT];
        float[] yMerged = new float[M * OUT];
        lora.forward(yAdapter, 0, x, 0, M);
        lora.merged().forward(yMerged, 0, x, 0, M);
        assertClose("merged vs adapter", yMerged, yAdapter, 1e-5, 1e-5);
    }

    @Test
    void trainingNeverTouchesTheBaseWeights() {
        Random rng = new Random(4);
        FrozenLinear base = base(rng);
        float[] before = base.weight().array().clone();
        LoraLinear lora = new LoraLinear(base, config(0.1f), rng, new DropoutSchedule(), 0);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] y = new float[M * OUT];
        lora.forward(y, 0, x, 0, M);
        lora.backward(new float[M * IN], 0, randomFloats(rng, M * OUT, 1f), 0, x, 0, M);
        assertArrayEquals(before, base.weight().array());
    }

    @Test
    void rsLoraScalesBySquareRootOfRank() {
        assertEquals(16f / 4f, new LoraConfig(16, 16f, 0f, List.of("q"), false, true).scale());
        assertEquals(1f, new LoraConfig(16, 16f, 0f, List.of("q"), false, false).scale());
    }

    @Test
    void targetModulesMatchLikePeft() {
        LoraConfig list = new LoraConfig(8, 16, 0, List.of("query", "value"), false, false);
        assertEquals(true, list.targets("encoder.layer.3.attention.self.query"));
        assertEquals(false, list.targets("encoder.layer.3.attention.self.query_extra"));
        assertEquals(false, list.targets("encoder.layer.3.attention.self.key"));
        LoraConfig regex = new LoraConfig(8, 16, 0, List.of(".*layer\\.[01]\\..*(query|value)"), true, false);
        assertEquals(true, regex.targets("encoder.layer.1.attention.self.value"));
        assertEquals(false, regex.targets("encoder.layer.2.attention.self.value"));
    }

    @Test
    void badHyperParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 16, 0, List.of("q"), false, false));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(8, 16, 1.5f, List.of("q"), false, false));
    }
}
