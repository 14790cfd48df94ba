package io.supportlm.model.bert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.FrozenLinear;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.TrainableLinear;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BertEncoderTest {
    static final BertConfig TINY = new BertConfig(50, 16, 2, 4, 24, 16, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);

    static InMemoryWeights randomWeights(BertConfig c, long seed) {
        return BertInit.random(c, seed);
    }

    @Test
    void backwardThroughTheWholeEncoderMatchesFiniteDifferences() {
        BertEncoder bert = new BertEncoder(TINY, BertWeights.load(randomWeights(TINY, 1), TINY));
        // Make the first and last linear layers trainable, so their gradients depend on every layer.
        TrainableLinear first = TrainableLinear.copyOf((FrozenLinear) bert.linearLayers().get("encoder.layer.0.attention.self.query"));
        TrainableLinear last = TrainableLinear.copyOf((FrozenLinear) bert.linearLayers().get("encoder.layer.1.output.dense"));
        bert.replaceLinear("encoder.layer.0.attention.self.query", first);
        bert.replaceLinear("encoder.layer.1.output.dense", last);
        int B = 2, T = 5, C = TINY.hiddenSize();
        int[] ids = {3, 7, 11, 2, 0, 9, 4, 4, 0, 0};
        int[] types = {0, 0, 1, 1, 0, 0, 1, 0, 0, 0};
        int[] mask = {1, 1, 1, 1, 0, 1, 1, 1, 0, 0};
        BertEncoder.Activations a = bert.allocate(B, T);
        Random rng = new Random(9);
        float[] g = new float[B * T * C];
        for (int i = 0; i < g.length; i++) {
            g[i] = rng.nextFloat() * 2 - 1;
        }
        // Training mode: dropout is on, with a fixed seed and step so that forward is a fixed function.
        bert.forward(a, ids, types, mask, B, T, true, 42, 3);
        bert.backward(a, g, true, 42, 3);

        java.util.function.DoubleSupplier loss = () -> {
            bert.forward(a, ids, types, mask, B, T, true, 42, 3);
            double s = 0;
            for (int i = 0; i < g.length; i++) {
                s += (double) a.lastHidden()[i] * g[i];
            }
            return s;
        };
        checkSome("layer 0 query weight", first.weight, first.dWeight, loss, 12);
        checkSome("layer 0 query bias", first.bias, first.dBias, loss, 6);
        checkSome("layer 1 output weight", last.weight, last.dWeight, loss, 12);
    }

    /** Central differences in f32 weights (step 1e-2, loss summed in double) for a sample of elements. */
    private static void checkSome(String what, float[] param, float[] grad, java.util.function.DoubleSupplier loss, int samples) {
        Random pick = new Random(what.hashCode());
        double h = 1e-2;
        for (int s = 0; s < samples; s++) {
            int i = pick.nextInt(param.length);
            float saved = param[i];
            param[i] = (float) (saved + h);
            double plus = loss.getAsDouble();
            param[i] = (float) (saved - h);
            double minus = loss.getAsDouble();
            param[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double err = Math.abs(numeric - grad[i]);
            assertTrue(err <= 2e-3 + 2e-2 * Math.abs(numeric),
                    what + "[" + i + "]: analytic " + grad[i] + ", numeric " + numeric);
        }
    }

    @Test
    void paddingDoesNotChangeTheRealTokensOutputs() {
        BertEncoder bert = new BertEncoder(TINY, BertWeights.load(randomWeights(TINY, 2), TINY));
        int C = TINY.hiddenSize();
        BertEncoder.Activations a = bert.allocate(1, 6);
        bert.forward(a, new int[] {5, 6, 7}, null, null, 1, 3, false, 0, 0);
        float[] alone = java.util.Arrays.copyOf(a.lastHidden(), 3 * C);
        bert.forward(a, new int[] {5, 6, 7, 0, 0, 0}, null, new int[] {1, 1, 1, 0, 0, 0}, 1, 6, false, 0, 0);
        for (int i = 0; i < 3 * C; i++) {
            assertEquals(alone[i], a.lastHidden()[i], 1e-5, "element " + i);
        }
    }

    @Test
    void aBatchLargerThanAllocatedIsAClearError() {
        BertEncoder bert = new BertEncoder(TINY, BertWeights.load(randomWeights(TINY, 2), TINY));
        BertEncoder.Activations a = bert.allocate(1, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bert.forward(a, new int[10], null, null, 2, 5, false, 0, 0));
        assertTrue(e.getMessage().contains("exceeds the allocated"), e.getMessage());
    }

    @Test
    void aMissingTensorIsNamed() {
        InMemoryWeights w = randomWeights(TINY, 3);
        InMemoryWeights partial = new InMemoryWeights("partial checkpoint");
        w.asMap().forEach((k, v) -> {
            if (!k.equals("encoder.layer.1.intermediate.dense.weight")) {
                partial.put(k, v);
            }
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertWeights.load(partial, TINY));
        assertTrue(e.getMessage().contains("encoder.layer.1.intermediate.dense.weight"), e.getMessage());
    }
}
