package io.supportlm.model;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.assertGradient;
import static io.supportlm.kernels.GradCheck.dot;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizedLinearTest {
    static final int M = 6, IN = 70, OUT = 13;

    static FrozenLinear frozen(Random rng) {
        return new FrozenLinear(Tensor.wrap(randomFloats(rng, OUT * IN, 1f), OUT, IN), randomFloats(rng, OUT, 1f));
    }

    @ParameterizedTest
    @ValueSource(strings = {"NF4", "INT8"})
    void forwardEqualsTheFrozenLayerWithDequantizedWeights(QuantScheme scheme) {
        Random rng = new Random(1);
        QuantizedLinear q = QuantizedLinear.of("fc", frozen(rng), scheme);
        FrozenLinear dequantized = new FrozenLinear(Tensor.wrap(q.weight().dequantize(), OUT, IN), q.bias());
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] y = new float[M * OUT];
        float[] yRef = new float[M * OUT];
        q.forward(y, 0, x, 0, M);
        dequantized.forward(yRef, 0, x, 0, M);
        assertArrayEquals(yRef, y);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NF4", "INT8"})
    void backwardMatchesFiniteDifferencesOfTheDequantizedLayer(QuantScheme scheme) {
        Random rng = new Random(2);
        QuantizedLinear q = QuantizedLinear.of("fc", frozen(rng), scheme);
        double[] w = toDouble(q.weight().dequantize());
        double[] b = toDouble(q.bias());
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] g = randomFloats(rng, M * OUT, 1f);
        float[] dx = randomFloats(rng, M * IN, 1f);
        float[] dxStart = dx.clone();
        q.backward(dx, 0, g, 0, x, 0, M);
        for (int i = 0; i < dx.length; i++) {
            dx[i] -= dxStart[i]; // backward accumulates
        }
        assertGradient("dX", dx, toDouble(x), xs -> {
            double[] y = new double[M * OUT];
            for (int m = 0; m < M; m++) {
                for (int o = 0; o < OUT; o++) {
                    double s = b[o];
                    for (int i = 0; i < IN; i++) {
                        s += xs[m * IN + i] * w[o * IN + i];
                    }
                    y[m * OUT + o] = s;
                }
            }
            return dot(y, g);
        });
    }

    @Test
    void nf4OutputStaysCloseToTheOriginal() {
        // Sanity on scale, not a bound: NF4 of unit-range weights keeps outputs within a few percent.
        Random rng = new Random(3);
        FrozenLinear base = frozen(rng);
        QuantizedLinear q = QuantizedLinear.of("fc", base, QuantScheme.NF4);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] y = new float[M * OUT];
        float[] yRef = new float[M * OUT];
        q.forward(y, 0, x, 0, M);
        base.forward(yRef, 0, x, 0, M);
        double err = 0, norm = 0;
        for (int i = 0; i < y.length; i++) {
            err += (y[i] - yRef[i]) * (y[i] - yRef[i]);
            norm += yRef[i] * yRef[i];
        }
        assertTrue(Math.sqrt(err / norm) < 0.1, "relative error " + Math.sqrt(err / norm));
    }

    static final BertConfig TINY = new BertConfig(50, 16, 2, 4, 24, 16, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);

    @Test
    void quantizingABackboneReplacesEveryLinearLayerAndCountsItsBytes() {
        BertEncoder bert = new BertEncoder(TINY, BertWeights.load(BertInit.random(TINY, 1), TINY));
        Map<String, LinearLayer> before = Map.copyOf(bert.linearLayers());
        long f32Bytes = 0, nf4Bytes = 0;
        for (LinearLayer l : before.values()) {
            long n = (long) l.inFeatures() * l.outFeatures();
            f32Bytes += 4 * n;
            nf4Bytes += (n + 1) / 2 + 4 * ((n + 63) / 64);
        }
        // The dequantized reference: the same encoder with every weight replaced by dequant(quant(W)).
        BertEncoder reference = new BertEncoder(TINY, BertWeights.load(BertInit.random(TINY, 1), TINY));

        BackboneQuantizer.Result result = BackboneQuantizer.quantizeInPlace(bert, QuantScheme.NF4);

        assertEquals(before.size(), result.layerCount());
        assertEquals(f32Bytes, result.bytesBefore());
        assertEquals(nf4Bytes, result.bytesAfter());
        for (Map.Entry<String, LinearLayer> e : bert.linearLayers().entrySet()) {
            QuantizedLinear q = assertInstanceOf(QuantizedLinear.class, e.getValue(), e.getKey());
            assertSame(before.get(e.getKey()), result.originals().get(e.getKey()), "the original layer is kept, not copied");
            reference.replaceLinear(e.getKey(), new FrozenLinear(
                    Tensor.wrap(q.weight().dequantize(), q.outFeatures(), q.inFeatures()), q.bias()));
        }
        int B = 2, T = 4;
        int[] ids = {3, 7, 11, 2, 9, 4, 4, 0};
        int[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
        float[] h = bert.forward(bert.allocate(B, T), ids, mask, B, T, false, 0, 0).clone();
        float[] hRef = reference.forward(reference.allocate(B, T), ids, mask, B, T, false, 0, 0);
        assertClose("hidden states", h, hRef, 1e-5, 1e-5);

        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> BackboneQuantizer.quantizeInPlace(bert, QuantScheme.INT8));
        assertTrue(twice.getMessage().contains("QuantizedLinear"), twice.getMessage());
    }
}
