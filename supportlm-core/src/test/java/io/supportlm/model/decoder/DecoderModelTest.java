package io.supportlm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.TrainableLinear;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DecoderModelTest {
    /** Every family's tiny config, plus GPT-NeoX with the sequential residual. */
    static Stream<Arguments> models() {
        ObjectNode sequentialNeox = DecoderInit.tinyConfigJson(Family.GPT_NEOX).put("use_parallel_residual", false);
        return Stream.concat(
                Arrays.stream(Family.values()).map(f -> Arguments.of(f.modelType, DecoderInit.tiny(f))),
                Stream.of(Arguments.of("gpt_neox sequential", DecoderConfig.fromJson(sequentialNeox))));
    }

    static DecoderModel model(DecoderConfig c, long seed) {
        return new DecoderModel(c, DecoderWeights.load(DecoderInit.randomWeights(c, seed, 0.35f), c));
    }

    static float[] randomSigns(int n, long seed) {
        Random rng = new Random(seed);
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = rng.nextFloat() * 2 - 1;
        }
        return g;
    }

    static int[] allRows(int n) {
        int[] rows = new int[n];
        Arrays.setAll(rows, i -> i);
        return rows;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void backwardThroughTheWholeNetworkMatchesFiniteDifferences(String name, DecoderConfig c) {
        DecoderModel m = model(c, 1);
        // The first and last linear layers become trainable, so their gradients depend on every layer.
        String first = m.linearLayers().keySet().iterator().next();
        String last = DecoderWeights.layerPrefix(c.family(), c.numLayers() - 1) + DecoderWeights.modules(c.family())[DecoderWeights.DOWN];
        TrainableLinear firstLayer = TrainableLinear.copyOf((FrozenLinear) m.linearLayers().get(first));
        TrainableLinear lastLayer = TrainableLinear.copyOf((FrozenLinear) m.linearLayers().get(last));
        m.replaceLinear(first, firstLayer);
        m.replaceLinear(last, lastLayer);
        int B = 2, T = 5, N = B * T, V = c.vocabSize(), C = c.hiddenSize();
        int[] ids = {3, 7, 11, 2, 9, 0, 0, 4, 4, 13};
        int[] mask = {1, 1, 1, 1, 1, 0, 0, 1, 1, 1}; // the second row is left-padded
        DecoderActivations a = m.allocate(B, T, N);
        float[] g = randomSigns(N * V, 9);
        m.forward(a, ids, mask, null, B, T);
        float[] embeddings = Arrays.copyOf(a.x[0], N * C);
        m.logits(a, allRows(N), N);
        float[] dEmbeddings = m.backwardFromLogits(a, g).clone();

        DoubleSupplier loss = () -> {
            m.forward(a, ids, mask, null, B, T);
            return dot(m.logits(a, allRows(N), N), g);
        };
        checkSome(name + " " + first + " weight", firstLayer.weight, firstLayer.dWeight, loss, 10);
        checkSome(name + " " + first + " bias", firstLayer.bias, firstLayer.dBias, loss, 5);
        checkSome(name + " " + last + " weight", lastLayer.weight, lastLayer.dWeight, loss, 10);
        // the input-embedding gradient (what prompt tuning trains), through forwardEmbeddings
        DoubleSupplier fromEmbeddings = () -> {
            m.forwardEmbeddings(a, embeddings, mask, null, B, T);
            return dot(m.logits(a, allRows(N), N), g);
        };
        checkSome(name + " input embeddings", embeddings, dEmbeddings, fromEmbeddings, 10);
    }

    private static double dot(float[] logits, float[] g) {
        double s = 0;
        for (int i = 0; i < g.length; i++) {
            s += (double) logits[i] * g[i];
        }
        return s;
    }

    /** Central differences in f32 parameters (step 1e-2, loss summed in double) for a sample of elements. */
    private static void checkSome(String what, float[] param, float[] grad, DoubleSupplier loss, int samples) {
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
            anyNonZero |= Math.abs(numeric) > 1e-3;
            double err = Math.abs(numeric - grad[i]);
            assertTrue(err <= 3e-3 + 2e-2 * Math.abs(numeric), what + "[" + i + "]: analytic " + grad[i] + ", numeric " + numeric);
        }
        assertTrue(anyNonZero, what + ": every sampled gradient is zero, the check proves nothing");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void logitsMatchANaiveReferenceImplementation(String name, DecoderConfig c) {
        InMemoryWeights w = DecoderInit.randomWeights(c, 10, 0.35f);
        DecoderModel m = new DecoderModel(c, DecoderWeights.load(w, c));
        int[] tokens = {1, 44, 7, 19, 19, 3, 28};
        int T = tokens.length, V = c.vocabSize();
        DecoderActivations a = m.allocateInference(1, T, T);
        m.forward(a, tokens, null, null, 1, T);
        float[] logits = m.logits(a, allRows(T), T);
        double[][] expected = new ReferenceDecoder(c, w).logits(tokens);
        for (int t = 0; t < T; t++) {
            for (int v = 0; v < V; v++) {
                double e = expected[t][v];
                assertEquals(e, logits[t * V + v], 1e-4 + 1e-4 * Math.abs(e), name + ": token " + t + ", logit " + v);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void kvCacheDecodingGivesTheFullForwardLogits(String name, DecoderConfig c) {
        DecoderModel m = model(c, 2);
        int[] tokens = {5, 9, 1, 33, 7, 7, 20, 41, 3, 12};
        int T = tokens.length, V = c.vocabSize();
        DecoderActivations a = m.allocate(1, T, T);
        m.forward(a, tokens, null, null, 1, T);
        float[] full = m.logits(a, allRows(T), T).clone();

        KvCache cache = m.newCache(16);
        int prompt = 4;
        float[] step = m.prefill(cache, Arrays.copyOf(tokens, prompt));
        assertClose(name + " after prefill", full, (prompt - 1) * V, step, V);
        for (int t = prompt; t < T; t++) {
            step = m.decode(cache, tokens[t]);
            assertClose(name + " decode at " + t, full, t * V, step, V);
        }
        assertEquals(T, cache.length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void batchedDecodingGivesEachSequencesOwnLogits(String name, DecoderConfig c) {
        DecoderModel m = model(c, 12);
        int[][] prompts = {{4, 8, 15}, {16, 23, 42, 1, 9}, {30, 2}};
        int[][] next = {{5, 6, 7, 8}, {11, 12, 13, 14}, {20, 21, 22, 23}};
        int B = prompts.length, V = c.vocabSize();
        KvCache[] batched = new KvCache[B];
        KvCache[] alone = new KvCache[B];
        for (int b = 0; b < B; b++) {
            batched[b] = m.newCache(16);
            alone[b] = m.newCache(16);
            m.prefill(batched[b], prompts[b]);
            m.prefill(alone[b], prompts[b]);
        }
        DecoderActivations a = m.allocateInference(B, 1, B);
        for (int s = 0; s < next[0].length; s++) {
            int[] tokens = new int[B];
            for (int b = 0; b < B; b++) {
                tokens[b] = next[b][s];
            }
            float[] logits = m.decodeBatch(a, batched, tokens).clone();
            for (int b = 0; b < B; b++) {
                float[] expected = m.decode(alone[b], tokens[b]);
                assertClose(name + " step " + s + " row " + b, expected, 0, Arrays.copyOfRange(logits, b * V, (b + 1) * V), V);
            }
        }
    }

    private static void assertClose(String what, float[] expected, int off, float[] actual, int n) {
        for (int i = 0; i < n; i++) {
            float e = expected[off + i];
            assertEquals(e, actual[i], 1e-4 + 1e-4 * Math.abs(e), what + ", logit " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void paddedRowsGiveTheUnpaddedSequencesLogits(String name, DecoderConfig c) {
        DecoderModel m = model(c, 3);
        int V = c.vocabSize();
        int[] seq = {8, 3, 30, 17};
        DecoderActivations a = m.allocateInference(2, 6, 12);
        m.forward(a, seq, null, null, 1, 4);
        float[] alone = m.logits(a, allRows(4), 4).clone();
        int[] ids = {0, 0, 8, 3, 30, 17, 8, 3, 30, 17, 0, 0};
        int[] mask = {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}; // row 0 left-padded, row 1 right-padded
        m.forward(a, ids, mask, null, 2, 6);
        float[] batch = m.logits(a, new int[] {2, 3, 4, 5, 6, 7, 8, 9}, 8);
        for (int t = 0; t < 4; t++) {
            assertClose(name + " left-padded token " + t, alone, t * V, Arrays.copyOfRange(batch, t * V, (t + 1) * V), V);
            assertClose(name + " right-padded token " + t, alone, t * V, Arrays.copyOfRange(batch, (4 + t) * V, (5 + t) * V), V);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void bf16CheckpointsComputeLikeTheirF32Values(String name, DecoderConfig c) {
        InMemoryWeights f32 = DecoderInit.randomWeights(c, 13, 0.35f);
        InMemoryWeights rounded = new InMemoryWeights("bf16 values in f32");
        InMemoryWeights bf16 = new InMemoryWeights("bf16 checkpoint");
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
        f32.asMap().forEach((k, t) -> {
            Tensor b = Tensor.convert(t.toFloatArray(), DType.BF16, arena, t.shape().dims());
            bf16.put(k, b);
            rounded.put(k, Tensor.wrap(b.toFloatArray(), t.shape().dims()));
        });
        int[] tokens = {3, 14, 15, 9, 26};
        float[] expected = logitsOf(new DecoderModel(c, DecoderWeights.load(rounded, c)), tokens);
        float[] actual = logitsOf(new DecoderModel(c, DecoderWeights.load(bf16, c)), tokens);
        assertClose(name, expected, 0, actual, expected.length);
    }

    private static float[] logitsOf(DecoderModel m, int[] tokens) {
        DecoderActivations a = m.allocateInference(1, tokens.length, tokens.length);
        m.forward(a, tokens, null, null, 1, tokens.length);
        return m.logits(a, allRows(tokens.length), tokens.length).clone();
    }

    @Test
    void tiedEmbeddingsServeAsTheLmHead() {
        DecoderConfig tied = DecoderInit.tiny(Family.QWEN2);
        assertTrue(tied.tiedEmbeddings());
        InMemoryWeights w = DecoderInit.randomWeights(tied, 4, 0.35f);
        assertTrue(!w.has("lm_head.weight"));
        DecoderModel m = new DecoderModel(tied, DecoderWeights.load(w, tied));
        assertSame(m.weights().embeddings(), m.weights().lmHead());
        // logits = hidden · embeddingsᵀ, checked for one row by hand
        DecoderActivations a = m.allocateInference(1, 3, 1);
        m.forward(a, new int[] {4, 5, 6}, null, null, 1, 3);
        float[] logits = m.logits(a, new int[] {2}, 1);
        int C = tied.hiddenSize();
        for (int v = 0; v < tied.vocabSize(); v++) {
            double s = 0;
            for (int i = 0; i < C; i++) {
                s += (double) a.hidden()[2 * C + i] * w.tensor("model.embed_tokens.weight").getFloat((long) v * C + i);
            }
            assertEquals(s, logits[v], 1e-4, "logit " + v);
        }
    }

    @Test
    void gemma3WeightsSavedFromTheMultimodalModelLoadUnderTheirPrefix() {
        DecoderConfig c = DecoderInit.tiny(Family.GEMMA3);
        InMemoryWeights plain = DecoderInit.randomWeights(c, 14, 0.35f);
        InMemoryWeights multimodal = new InMemoryWeights("Gemma3ForConditionalGeneration checkpoint");
        plain.asMap().forEach((k, t) -> multimodal.put(k.replaceFirst("^model\\.", "model.language_model."), t));
        multimodal.put("model.vision_tower.vision_model.embeddings.patch_embedding.weight", Tensor.zeros(4, 4));
        int[] tokens = {9, 8, 7};
        assertArrayEquals(logitsOf(new DecoderModel(c, DecoderWeights.load(plain, c)), tokens),
                logitsOf(new DecoderModel(c, DecoderWeights.load(multimodal, c)), tokens));
    }

    @Test
    void anUntiedCheckpointWithoutItsLmHeadIsNamed() {
        DecoderConfig untied = DecoderInit.tiny(Family.LLAMA);
        InMemoryWeights w = DecoderInit.randomWeights(untied, 5, 0.35f);
        InMemoryWeights partial = new InMemoryWeights("partial checkpoint");
        w.asMap().forEach((k, v) -> {
            if (!k.equals("lm_head.weight")) {
                partial.put(k, v);
            }
        });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecoderWeights.load(partial, untied));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("tie_word_embeddings"), e.getMessage());
    }

    @Test
    void aWrongShapeIsNamed() {
        DecoderConfig c = DecoderInit.tiny(Family.QWEN3);
        InMemoryWeights w = DecoderInit.randomWeights(c, 6, 0.35f);
        w.put("model.layers.1.self_attn.k_norm.weight", Tensor.zeros(16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecoderWeights.load(w, c));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.k_norm.weight") && e.getMessage().contains("[6]"), e.getMessage());
    }

    @Test
    void linearLayersCarryHuggingFaceModuleNames() {
        DecoderModel llama = model(DecoderInit.tiny(Family.LLAMA), 7);
        assertEquals(2 * 7 + 1, llama.linearLayers().size());
        assertTrue(llama.linearLayers().containsKey("model.layers.1.self_attn.v_proj"));
        assertTrue(llama.linearLayers().containsKey("model.layers.0.mlp.gate_proj"));
        assertTrue(llama.linearLayers().containsKey("lm_head"));
        DecoderModel neox = model(DecoderInit.tiny(Family.GPT_NEOX), 7);
        assertEquals(48, neox.linearLayers().get("gpt_neox.layers.0.attention.query_key_value").outFeatures());
        assertTrue(neox.linearLayers().containsKey("gpt_neox.layers.1.mlp.dense_4h_to_h"));
        assertTrue(neox.linearLayers().containsKey("embed_out"));

        IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class, () -> llama.replaceLinear(
                "model.layers.0.self_attn.q_proj", new TrainableLinear(new float[16 * 8], new float[8], 8, 16)));
        assertTrue(wrongShape.getMessage().contains("16→8"), wrongShape.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> llama.replaceLinear("model.layers.9.self_attn.q_proj", null));
        assertTrue(unknown.getMessage().contains("model.layers.9.self_attn.q_proj"), unknown.getMessage());
    }

    @Test
    void aBatchLargerThanAllocatedIsAClearError() {
        DecoderModel m = model(DecoderInit.tiny(Family.LLAMA), 8);
        DecoderActivations a = m.allocate(1, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> m.forward(a, new int[10], null, null, 2, 5));
        assertTrue(e.getMessage().contains("exceeds the allocated"), e.getMessage());
        IllegalStateException inference = assertThrows(IllegalStateException.class,
                () -> m.backward(m.allocateInference(1, 4, 1), new float[64]));
        assertTrue(inference.getMessage().contains("inference"), inference.getMessage());
        KvCache cache = m.newCache(3);
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class, () -> m.prefill(cache, new int[4]));
        assertTrue(full.getMessage().contains("capacity of 3"), full.getMessage());
    }
}
