package io.supportlm.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderWeights;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.LoraLinear;
import io.supportlm.peft.PromptTuning;
import io.supportlm.sft.data.SftBatches;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class CausalLmLossTest {
    static final int I = SftExample.IGNORE;

    static DecoderModel model(Family f, long seed) {
        DecoderConfig c = DecoderInit.tiny(f);
        return new DecoderModel(c, DecoderWeights.load(DecoderInit.randomWeights(c, seed, 0.35f), c));
    }

    /** LoRA on every linear layer (the LM head too when asked), B random so that A gets a gradient. */
    static LoraAdapter lora(DecoderModel m, boolean lmHead, long seed) {
        List<String> targets = lmHead ? List.of("all-linear", DecoderWeights.lmHeadName(m.config().family())) : List.of("all-linear");
        LoraAdapter lora = LoraAdapter.attach(new DecoderBackbone(m, lmHead), new LoraConfig(2, 4f, 0f, targets, false, false), seed);
        Random rng = new Random(seed);
        for (LoraLinear l : lora.layers().values()) {
            for (int i = 0; i < l.b().length; i++) {
                l.b()[i] = (rng.nextFloat() * 2 - 1) * 0.3f;
            }
        }
        return lora;
    }

    static SftExample example(int[] ids, int trainFrom) {
        int[] labels = ids.clone();
        for (int i = 0; i < trainFrom; i++) {
            labels[i] = I;
        }
        return new SftExample(ids, labels);
    }

    static final SftExample E1 = example(new int[] {1, 5, 9, 3, 7, 2}, 3);
    static final SftExample E2 = example(new int[] {1, 6, 4, 11, 2}, 2);
    static final SftExample E3 = example(new int[] {1, 8, 8, 2}, 2);

    /** −Σ log softmax over all rows' full logits, for the targets the class comment defines. */
    static double reference(DecoderModel m, CausalLmLoss loss, SftBatch b) {
        loss.forward(b);
        int N = b.B() * b.T(), V = m.config().vocabSize();
        double total = 0;
        for (int i = 0; i < N; i++) {
            if (!CausalLmLoss.isTarget(b, i)) {
                continue;
            }
            float[] z = m.logits(loss.activations(), new int[] {i}, 1);
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) {
                max = Math.max(max, z[v]);
            }
            double sum = 0;
            for (int v = 0; v < V; v++) {
                sum += Math.exp(z[v] - max);
            }
            total += max + Math.log(sum) - z[b.ids()[i + 1]];
        }
        return total;
    }

    static double meanLoss(CausalLmLoss loss, SftBatch b, int targets) {
        loss.forward(b);
        double s = 0;
        for (double r : loss.rowLosses(b, null)) {
            s += r;
        }
        return s / targets;
    }

    static float[] scales(int B, float s) {
        float[] out = new float[B];
        java.util.Arrays.fill(out, s);
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = Family.class, names = {"LLAMA", "GEMMA3", "GPT_NEOX"})
    void lossIsTheCrossEntropyOfTheTargetsComputedInChunks(Family f) {
        DecoderModel m = model(f, 3);
        lora(m, false, 4);
        SftBatch b = SftBatches.inOrder(List.of(E1, E2, E3), 0);
        CausalLmLoss loss = new CausalLmLoss(m, null, 3, 6, 2, false); // chunks of 2 rows for 6 targets
        int targets = CausalLmLoss.targets(b);
        assertEquals(E1.trainableTokens() + E2.trainableTokens() + E3.trainableTokens(), targets);
        assertEquals(reference(m, new CausalLmLoss(m, null, 3, 6, 64, false), b) / targets, meanLoss(loss, b, targets), 1e-5);
    }

    @ParameterizedTest
    @EnumSource(value = Family.class, names = {"LLAMA", "GEMMA3", "QWEN2"})
    void loraGradientsOfTheMeanLossMatchFiniteDifferences(Family f) {
        DecoderModel m = model(f, 5);
        LoraAdapter lora = lora(m, true, 6); // lm_head adapted too: its gradient goes through the chunked path
        SftBatch b = SftBatches.inOrder(List.of(E1, E2), 0);
        CausalLmLoss loss = new CausalLmLoss(m, null, 2, 6, 3, false);
        int targets = CausalLmLoss.targets(b);
        loss.forward(b);
        loss.rowLosses(b, scales(2, 1f / targets));
        for (var p : lora.parameters()) {
            if (p.name().contains("layers.0.self_attn.q_proj") || p.name().contains("layers.1.mlp.down_proj")
                    || p.name().startsWith("lm_head")) {
                checkSome(f + " " + p.name(), p.values(), p.grads(), () -> meanLoss(loss, b, targets), 6);
            }
        }
    }

    @Test
    void promptTuningGradientMatchesFiniteDifferences() {
        DecoderModel m = model(Family.LLAMA, 7);
        PromptTuning prompt = PromptTuning.random(new PromptTuning.Config(3, PromptTuning.Init.RANDOM, null), 16, 8);
        SftBatch b = SftBatches.inOrder(List.of(E1, E3), 0);
        CausalLmLoss loss = new CausalLmLoss(m, prompt, 2, 6, 4, false);
        int targets = CausalLmLoss.targets(b);
        loss.forward(b);
        double before = 0;
        for (double r : loss.rowLosses(b, scales(2, 1f / targets))) {
            before += r;
        }
        checkSome("prompt embeddings", prompt.embeddings(), prompt.grads(), () -> meanLoss(loss, b, targets), 12);
        // the virtual tokens change the loss: they are really in front of the text
        CausalLmLoss plain = new CausalLmLoss(m, null, 2, 6, 4, false);
        assertTrue(Math.abs(meanLoss(plain, b, targets) - before / targets) > 1e-4);
        assertThrows(IllegalArgumentException.class, () -> loss.forward(SftBatches.packed(List.of(E1, E3), 1, 12, 0, 1).batch(0, 0)));
    }

    @ParameterizedTest
    @EnumSource(value = Family.class, names = {"LLAMA", "MISTRAL", "GEMMA3"})
    void aPackedRowGivesTheSameLossesAndGradientsAsTheExamplesSeparately(Family f) {
        DecoderModel m = model(f, 9);
        LoraAdapter lora = lora(m, false, 10);
        SftBatches packing = SftBatches.packed(List.of(E1, E2, E3), 1, 16, 0, 1); // 6 + 5 + 4 tokens in one row, one pad
        SftBatch packed = packing.batch(0, 0);
        assertEquals(1, packed.B());
        int[] order = packing.examplesIn(0, 0, 0); // the examples of the row, in row order
        SftBatch separate = SftBatches.inOrder(List.of(E1, E2, E3), 0);
        int targets = CausalLmLoss.targets(separate);
        assertEquals(targets, CausalLmLoss.targets(packed), "no target crosses from one packed example into the next");

        CausalLmLoss onPacked = new CausalLmLoss(m, null, 3, 16, 4, false);
        onPacked.forward(packed);
        double packedLoss = onPacked.rowLosses(packed, scales(1, 1f / targets))[0];
        List<float[]> packedGrads = lora.parameters().stream().map(p -> p.grads().clone()).toList();
        lora.parameters().forEach(p -> java.util.Arrays.fill(p.grads(), 0f));
        onPacked.forward(separate);
        double[] rows = onPacked.rowLosses(separate, scales(3, 1f / targets));
        assertEquals(rows[0] + rows[1] + rows[2], packedLoss, 1e-4);
        for (int i = 0; i < packedGrads.size(); i++) {
            float[] g = lora.parameters().get(i).grads();
            for (int j = 0; j < g.length; j++) {
                assertEquals(g[j], packedGrads.get(i)[j], 1e-5 + 1e-3 * Math.abs(g[j]), lora.parameters().get(i).name() + "[" + j + "]");
            }
        }
        // each example alone: its packed loss is its own loss
        SftBatch secondOnly = new SftBatch(1, 16, packed.ids(), maskLabels(packed, 1), packed.mask(), packed.positions(), packed.segments());
        onPacked.forward(secondOnly);
        assertEquals(rows[order[1]], onPacked.rowLosses(secondOnly, null)[0], 1e-4);
    }

    /** The packed labels with every segment but {@code keep} ignored. */
    private static int[] maskLabels(SftBatch b, int keep) {
        int[] labels = b.labels().clone();
        for (int i = 0; i < labels.length; i++) {
            if (b.segments()[i] != keep) {
                labels[i] = I;
            }
        }
        return labels;
    }

    @Test
    void gradientCheckpointingGivesIdenticalGradientsWithFewerSavedActivations() {
        DecoderModel m = model(Family.QWEN3, 11);
        LoraAdapter lora = lora(m, false, 12);
        SftBatch b = SftBatches.inOrder(List.of(E1, E2, E3), 0);
        int targets = CausalLmLoss.targets(b);
        float[][] grads = new float[2][];
        long[] floats = new long[2];
        for (int run = 0; run < 2; run++) {
            CausalLmLoss loss = new CausalLmLoss(m, null, 3, 6, 4, run == 1);
            lora.parameters().forEach(p -> java.util.Arrays.fill(p.grads(), 0f));
            loss.forward(b);
            loss.rowLosses(b, scales(3, 1f / targets));
            grads[run] = lora.parameters().stream().map(p -> p.grads().clone())
                    .reduce(new float[0], CausalLmLossTest::concat);
            floats[run] = loss.activations().activationFloats();
        }
        assertArrayEquals(grads[0], grads[1], "same gradients with and without checkpointing");
        // 2 layers here: the saved activations shrink to the layer inputs plus one shared layer's buffers
        assertTrue(floats[1] < 0.7 * floats[0], "checkpointing keeps " + floats[1] + " of " + floats[0] + " activation floats");
        System.out.printf("gradient checkpointing (qwen3 tiny, 2 layers): %d -> %d saved activation floats%n", floats[0], floats[1]);
    }

    static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Central differences in f32 parameters (step 1e-2, loss in double) for a sample of elements. */
    static void checkSome(String what, float[] param, float[] grad, DoubleSupplier loss, int samples) {
        Random pick = new Random(what.hashCode());
        double h = 1e-2;
        boolean anyNonZero = false;
        for (int s = 0; s < samples; s++) {
            int i = pick.nextInt(param.length);
            float saved = param[i];
            param[i] = (float) (saved + h);
            double plus = loss.getAsDouble();
            param[i] = (float) (saved - h);
            double minus = loss.getAsDouble();
            param[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            anyNonZero |= Math.abs(numeric) > 1e-4;
            double err = Math.abs(numeric - grad[i]);
            assertTrue(err <= 5e-4 + 2e-2 * Math.abs(numeric), what + "[" + i + "]: analytic " + grad[i] + ", numeric " + numeric);
        }
        assertTrue(anyNonZero, what + ": every sampled gradient is zero, the check proves nothing");
    }
}
