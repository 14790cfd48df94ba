package io.supportlm.peft;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.assertGradient;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.kernels.GradCheck;
import io.supportlm.model.BackboneQuantizer;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.QuantizedLinear;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LoRA on a quantized frozen base (QLoRA), and merging back into the original-precision weights. */
class QLoraTest {
    static final int M = LoraLinearTest.M, IN = LoraLinearTest.IN, OUT = LoraLinearTest.OUT, R = LoraLinearTest.R;

    @ParameterizedTest
    @ValueSource(strings = {"NF4", "INT8"})
    void aNewAdapterLeavesTheQuantizedLayersOutputUnchanged(QuantScheme scheme) {
        Random rng = new Random(1);
        QuantizedLinear base = QuantizedLinear.of("q", LoraLinearTest.base(rng), scheme);
        LoraLinear lora = new LoraLinear(base, LoraLinearTest.config(0f), rng, new DropoutSchedule(), 0);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] yBase = new float[M * OUT];
        float[] yLora = new float[M * OUT];
        base.forward(yBase, 0, x, 0, M);
        lora.forward(yLora, 0, x, 0, M);
        assertArrayEquals(yBase, yLora);
    }

    @Test
    void gradientsFlowThroughAQuantizedBase() {
        Random rng = new Random(2);
        QuantizedLinear base = QuantizedLinear.of("q", LoraLinearTest.base(rng), QuantScheme.NF4);
        float[] a = randomFloats(rng, R * IN, 1f);
        float[] b = randomFloats(rng, OUT * R, 1f);
        LoraLinear lora = new LoraLinear(base, R, 2f, 0f, new DropoutSchedule(), 0, a, b);
        float[] x = randomFloats(rng, M * IN, 1f);
        float[] g = randomFloats(rng, M * OUT, 1f);
        float[] y = new float[M * OUT];
        lora.forward(y, 0, x, 0, M);
        float[] dx = new float[M * IN];
        lora.backward(dx, 0, g, 0, x, 0, M);
        // The reference is the plain LoRA math on the dequantized base weight.
        double[] xd = toDouble(x), wd = toDouble(base.weight().dequantize()), bd = toDouble(base.bias());
        double[] ad = toDouble(a), bbd = toDouble(b);
        assertClose("forward", y, LoraLinearTest.reference(xd, wd, bd, ad, bbd, 2f, null, 0), 1e-5, 1e-5);
        assertGradient("dX", dx, xd, v -> GradCheck.dot(LoraLinearTest.reference(v, wd, bd, ad, bbd, 2f, null, 0), g));
        assertGradient("dA", lora.gradA(), ad, v -> GradCheck.dot(LoraLinearTest.reference(xd, wd, bd, v, bbd, 2f, null, 0), g));
        assertGradient("dB", lora.gradB(), bbd, v -> GradCheck.dot(LoraLinearTest.reference(xd, wd, bd, ad, v, 2f, null, 0), g));
    }

    @Test
    void mergeAfterQLoraAddsTheDeltaToTheOriginalPrecisionWeight() {
        Random rng = new Random(3);
        FrozenLinear original = LoraLinearTest.base(rng);
        QuantizedLinear quantized = QuantizedLinear.of("q", original, QuantScheme.NF4);
        LoraLinear lora = new LoraLinear(quantized, R, 2f, 0f, new DropoutSchedule(), 0, randomFloats(rng, R * IN, 1f),
                randomFloats(rng, OUT * R, 1f));

        FrozenLinear merged = Merge.intoOriginal("q", original, lora);

        float[] w = original.weight().array();
        float[] lossy = quantized.weight().dequantize();
        float[] delta = lora.deltaWeight();
        float[] mergedW = merged.weight().array();
        int differsFromLossy = 0;
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i] + delta[i], mergedW[i], 0f, "element " + i + " is original + ΔW, bit for bit");
            if (mergedW[i] != lossy[i] + delta[i]) {
                differsFromLossy++;
            }
        }
        assertTrue(differsFromLossy > w.length / 2, "the 4-bit copy would have given a different merge at "
                + differsFromLossy + " of " + w.length + " elements");
        assertSame(original.bias(), merged.bias());

        IllegalStateException onQuantized = assertThrows(IllegalStateException.class, lora::merged);
        assertTrue(onQuantized.getMessage().contains("Merge.intoOriginal"), onQuantized.getMessage());
        IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class, () -> Merge.intoOriginal("q",
                new FrozenLinear(Tensor.wrap(new float[IN * IN], IN, IN), null), lora));
        assertTrue(wrongShape.getMessage().contains("q"), wrongShape.getMessage());
    }

    @Test
    void aQuantizedBackbonesAdapterMergesIntoTheOriginalsModuleByModule() {
        BertConfig tiny = new BertConfig(50, 16, 2, 4, 24, 16, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);
        BertEncoder bert = new BertEncoder(tiny, BertWeights.load(BertInit.random(tiny, 1), tiny));
        BackboneQuantizer.Result quantized = BackboneQuantizer.quantizeInPlace(bert, QuantScheme.NF4);
        LoraAdapter adapter = LoraAdapter.attach(bert, new LoraConfig(4, 8f, 0f, List.of("query", "value"), false, false), 7);
        Random rng = new Random(8);
        for (LoraLinear l : adapter.layers().values()) {
            float[] b = randomFloats(rng, l.b().length, 0.1f); // as after training
            System.arraycopy(b, 0, l.b(), 0, b.length);
        }

        Map<String, FrozenLinear> merged = Merge.intoOriginals(adapter, quantized.originals());

        assertEquals(adapter.layers().keySet(), merged.keySet());
        for (Map.Entry<String, FrozenLinear> e : merged.entrySet()) {
            float[] original = quantized.originals().get(e.getKey()).weight().toFloatArray();
            float[] delta = adapter.layers().get(e.getKey()).deltaWeight();
            float[] expected = new float[original.length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = original[i] + delta[i];
            }
            assertArrayEquals(expected, e.getValue().weight().array(), e.getKey());
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Merge.intoOriginals(adapter, Map.of()));
        assertTrue(missing.getMessage().contains("encoder.layer.0.attention.self.query"), missing.getMessage());
    }
}
