package io.supportlm.peft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.kernels.AdamW;
import io.supportlm.kernels.CrossEntropy;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.Parameter;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.bert.BertWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PromptTuningTest {
    static final BertConfig TINY = new BertConfig(50, 16, 2, 4, 24, 16, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);
    static final int B = 4, T = 5, C = 16;
    static final int[] IDS = {3, 7, 11, 2, 0, 9, 4, 4, 0, 0, 12, 13, 14, 15, 16, 1, 2, 0, 0, 0};
    static final int[] MASK = {1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    static final List<ClassificationTask> TASKS = List.of(
            new ClassificationTask("queue", List.of("billing", "tech", "account"), 1f, null),
            new ClassificationTask("urgent", List.of("no", "yes"), 0.5f, new float[] {1f, 3f}));

    static BertEncoder encoder(long seed) {
        return new BertEncoder(TINY, BertWeights.load(BertInit.random(TINY, seed), TINY));
    }

    static PromptTuning.Config random(int n) {
        return new PromptTuning.Config(n, PromptTuning.Init.RANDOM, null);
    }

    @Test
    void promptEmbeddingGradientsMatchFiniteDifferencesThroughTheWholeEncoder() {
        for (Pooling.Mode pooling : List.of(Pooling.Mode.CLS, Pooling.Mode.MEAN)) {
            PromptTuning prompt = PromptTuning.random(random(3), C, 4);
            MultiTaskClassifier clf = new MultiTaskClassifier(prompt.wrap(encoder(1)), pooling, 0.1f, TASKS, new Random(1));
            int[][] labels = {{0, 2, CrossEntropy.IGNORE_INDEX, 1}, {1, 0, 1, CrossEntropy.IGNORE_INDEX}};
            MultiTaskClassifier.Workspace ws = clf.allocate(B, T);
            clf.forward(ws, IDS, MASK, B, T, true, 11, 2);
            clf.loss(ws, labels);
            clf.backward(ws, 1f, true, 11, 2);

            float[] e = prompt.embeddings();
            Random pick = new Random(7);
            for (int s = 0; s < 12; s++) {
                int i = pick.nextInt(e.length);
                float saved = e[i];
                double h = 1e-2;
                e[i] = (float) (saved + h);
                clf.forward(ws, IDS, MASK, B, T, true, 11, 2);
                double plus = clf.loss(ws, labels);
                e[i] = (float) (saved - h);
                clf.forward(ws, IDS, MASK, B, T, true, 11, 2);
                double minus = clf.loss(ws, labels);
                e[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                float analytic = prompt.grads()[i];
                assertTrue(Math.abs(numeric - analytic) <= 1e-3 + 3e-2 * Math.abs(numeric),
                        pooling + " prompt_embeddings[" + i + "]: analytic " + analytic + ", numeric " + numeric);
            }
            assertTrue(Arrays.stream(toDouble(prompt.grads())).anyMatch(g -> Math.abs(g) > 1e-4), "the prompt receives a gradient");
        }
    }

    /** Virtual tokens carrying the word embeddings of some ids must act exactly as those ids in the text. */
    @Test
    void prefixOfWordEmbeddingsEqualsTheTokensThemselvesAndAnEmptyPrefixIsThePlainEncoder() {
        BertEncoder bert = encoder(3);
        int[] promptIds = {5, 8};
        int P = promptIds.length;
        float[] prefix = new float[P * C];
        io.supportlm.kernels.Embedding.forward(prefix, 0, promptIds, 0, bert.weights().wordEmbeddings(), 1, P);
        int S = P + T;
        int[] joinedIds = new int[B * S];
        int[] joinedMask = new int[B * S];
        for (int b = 0; b < B; b++) {
            for (int s = 0; s < S; s++) {
                joinedIds[b * S + s] = s < P ? promptIds[s] : IDS[b * T + s - P];
                joinedMask[b * S + s] = s < P ? 1 : MASK[b * T + s - P];
            }
        }
        BertEncoder.Activations plain = bert.allocate(B, S);
        bert.forward(plain, joinedIds, null, joinedMask, B, S, false, 0, 0);
        BertEncoder.Activations prefixed = bert.allocate(B, S);
        bert.forward(prefixed, prefix, P, IDS, null, MASK, B, T, false, 0, 0);
        assertArrayEquals(Arrays.copyOf(plain.lastHidden(), B * S * C), Arrays.copyOf(prefixed.lastHidden(), B * S * C), 1e-6f);

        bert.forward(plain, IDS, null, MASK, B, T, true, 5, 1);
        bert.forward(prefixed, new float[0], 0, IDS, null, MASK, B, T, true, 5, 1);
        assertArrayEquals(Arrays.copyOf(plain.lastHidden(), B * T * C), Arrays.copyOf(prefixed.lastHidden(), B * T * C));
    }

    @Test
    void textInitTakesTheWordEmbeddingsOfTheInitTextRepeatedOrCut() {
        BertEncoder bert = encoder(2);
        float[] words = bert.weights().wordEmbeddings().toFloatArray();
        int[] textIds = {1, 17, 23};
        PromptTuning repeated = PromptTuning.fromText(new PromptTuning.Config(7, PromptTuning.Init.TEXT, "x"), textIds, bert);
        int[] expectRepeated = {1, 17, 23, 1, 17, 23, 1};
        PromptTuning cut = PromptTuning.fromText(new PromptTuning.Config(2, PromptTuning.Init.TEXT, "x"), textIds, bert);
        int[] expectCut = {1, 17};
        for (var c : List.of(new Object[] {repeated, expectRepeated}, new Object[] {cut, expectCut})) {
            PromptTuning p = (PromptTuning) c[0];
            int[] ids = (int[]) c[1];
            for (int v = 0; v < ids.length; v++) {
                assertArrayEquals(Arrays.copyOfRange(words, ids[v] * C, ids[v] * C + C),
                        Arrays.copyOfRange(p.embeddings(), v * C, v * C + C), "virtual token " + v);
            }
        }
    }

    @Test
    void randomInitIsStandardNormal() {
        PromptTuning p = PromptTuning.random(random(50), 64, 9);
        double[] x = toDouble(p.embeddings());
        double mean = Arrays.stream(x).average().orElseThrow();
        double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
        assertEquals(0, mean, 0.1);
        assertEquals(1, var, 0.1);
    }

    @Test
    void trainingThePromptAndHeadsLowersTheLossBelowHeadsAloneAndLeavesTheBaseUnchanged() {
        BertEncoder bert = encoder(2);
        float[] baseQuery = ((FrozenLinear) bert.linearLayers().get("encoder.layer.0.attention.self.query")).weight().toFloatArray();
        float[] baseWords = bert.weights().wordEmbeddings().toFloatArray();
        float[] headsAlone = train(bert, false);
        float[] withPrompt = train(bert, true);
        assertTrue(withPrompt[1] < 0.6 * withPrompt[0], "loss fell from " + withPrompt[0] + " to " + withPrompt[1]);
        assertTrue(withPrompt[1] < headsAlone[1], "the trained prompt helps: " + withPrompt[1] + " with it, "
                + headsAlone[1] + " with the heads alone");
        assertArrayEquals(baseQuery, ((FrozenLinear) bert.linearLayers().get("encoder.layer.0.attention.self.query")).weight().toFloatArray());
        assertArrayEquals(baseWords, bert.weights().wordEmbeddings().toFloatArray());
    }

    /** 60 AdamW steps on a task where queue = whether token 12 appears anywhere; returns the first and last loss. */
    private static float[] train(BertEncoder bert, boolean trainPrompt) {
        PromptTuning prompt = PromptTuning.random(random(4), C, 3);
        MultiTaskClassifier clf = new MultiTaskClassifier(prompt.wrap(bert), Pooling.Mode.CLS, 0f, TASKS, new Random(2));
        int[] ids = {1, 5, 12, 6, 1, 5, 6, 7, 1, 12, 8, 9, 1, 8, 9, 5};
        int[] mask = new int[16];
        Arrays.fill(mask, 1);
        int[][] labels = {{1, 0, 1, 0}, {-100, -100, -100, -100}};
        List<Parameter> params = new ArrayList<>(clf.headParameters());
        if (trainPrompt) {
            params.addAll(prompt.parameters());
        }
        float[][] m = new float[params.size()][];
        float[][] v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).values().length];
            v[i] = new float[params.get(i).values().length];
        }
        float[] promptBefore = prompt.embeddings().clone();
        MultiTaskClassifier.Workspace ws = clf.allocate(4, 4);
        float first = 0, last = 0;
        for (int step = 1; step <= 60; step++) {
            params.forEach(Parameter::zeroGrad);
            prompt.parameters().forEach(Parameter::zeroGrad);
            clf.forward(ws, ids, mask, 4, 4, true, 3, step);
            float loss = clf.loss(ws, labels);
            clf.backward(ws, 1f, true, 3, step);
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                AdamW.update(p.values(), 0, m[i], 0, v[i], 0, p.grads(), 0, p.values().length, 3e-2, step, AdamW.Config.DEFAULTS);
            }
            if (step == 1) {
                first = loss;
            }
            last = loss;
        }
        assertEquals(trainPrompt, !Arrays.equals(promptBefore, prompt.embeddings()), "the prompt changes only when trained");
        return new float[] {first, last};
    }

    @Test
    void badSettingsAreRejectedWithTheFieldName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new PromptTuning.Config(0, PromptTuning.Init.RANDOM, null));
        assertTrue(e.getMessage().contains("num_virtual_tokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptTuning.Config(4, PromptTuning.Init.TEXT, " "));
        assertTrue(e.getMessage().contains("init_text"), e.getMessage());
        PromptTuning wide = PromptTuning.random(random(2), 8, 1);
        e = assertThrows(IllegalArgumentException.class, () -> wide.wrap(encoder(1)));
        assertTrue(e.getMessage().contains("token_dim"), e.getMessage());
    }

    private static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }
}
