package io.supportlm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final int[] NO_CONTEXT = new int[0];

    private static float[] randomLogits(Random rng, int V) {
        float[] l = new float[V];
        for (int i = 0; i < V; i++) {
            l[i] = (float) rng.nextGaussian() * 2;
        }
        return l;
    }

    /** Logits whose softmax is exactly the given probabilities. */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) {
            f[s.next(logits, NO_CONTEXT, 0)] += 1.0 / draws;
        }
        return f;
    }

    @Test
    void greedyIsTheFirstArgmax() {
        Sampler s = new Sampler(GenerationConfig.greedy(1));
        assertEquals(1, s.next(new float[] {0.1f, 2f, -1f, 2f}, NO_CONTEXT, 0));
        assertEquals(3, s.next(new float[] {-5f, -4f, -3f, -2f}, NO_CONTEXT, 0));
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        Random rng = new Random(1);
        float[][] steps = new float[100][];
        for (int i = 0; i < steps.length; i++) {
            steps[i] = randomLogits(rng, 50);
        }
        int[] a = draw(new Sampler(GenerationConfig.sampling(1, 1f, 0, 1f, 7)), steps);
        int[] b = draw(new Sampler(GenerationConfig.sampling(1, 1f, 0, 1f, 7)), steps);
        int[] c = draw(new Sampler(GenerationConfig.sampling(1, 1f, 0, 1f, 8)), steps);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c), "another seed should draw another sequence");
    }

    private static int[] draw(Sampler s, float[][] steps) {
        int[] out = new int[steps.length];
        for (int i = 0; i < steps.length; i++) {
            out[i] = s.next(steps[i], NO_CONTEXT, 0);
        }
        return out;
    }

    @Test
    void topKOfOneIsGreedy() {
        Random rng = new Random(2);
        Sampler topOne = new Sampler(GenerationConfig.sampling(1, 1.5f, 1, 1f, 3));
        for (int i = 0; i < 50; i++) {
            float[] l = randomLogits(rng, 40);
            assertEquals(Sampler.argmax(l), topOne.next(l, NO_CONTEXT, 0));
        }
    }

    @Test
    void selectionFindsTheKthLargestScore() {
        Random rng = new Random(12);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rng.nextInt(300);
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = rng.nextInt(trial % 2 == 0 ? 10 : 100000) - 5; // many ties in even trials
            }
            float[] sorted = a.clone();
            Arrays.sort(sorted);
            int k = 1 + rng.nextInt(n);
            assertEquals(sorted[n - k], Sampler.kthLargest(a, k, new float[n]), "n=" + n + " k=" + k);
        }
    }

    @Test
    void topKKeepsTheKMostLikely() {
        float[] l = logitsOf(0.1, 0.4, 0.2, 0.3);
        double[] f = frequencies(new Sampler(GenerationConfig.sampling(1, 1f, 2, 1f, 4)), l, 4000);
        assertEquals(0, f[0]);
        assertEquals(0, f[2]);
        assertEquals(0.4 / 0.7, f[1], 0.03);
        assertEquals(0.3 / 0.7, f[3], 0.03);
    }

    @Test
    void topPKeepsTheSmallestSetWhoseMassReachesP() {
        float[] l = logitsOf(0.15, 0.5, 0.05, 0.3);
        double[] f = frequencies(new Sampler(GenerationConfig.sampling(1, 1f, 0, 0.75f, 5)), l, 4000);
        assertEquals(0, f[0]); // 0.5 + 0.3 = 0.8 >= 0.75: the two most likely suffice
        assertEquals(0, f[2]);
        assertEquals(0.5 / 0.8, f[1], 0.03);
        assertEquals(0.3 / 0.8, f[3], 0.03);
        double[] wider = frequencies(new Sampler(GenerationConfig.sampling(1, 1f, 0, 0.85f, 5)), l, 4000);
        assertTrue(wider[0] > 0.1, "0.8 < 0.85, so the third most likely token joins: " + wider[0]);
        assertEquals(0, wider[2]);
    }

    @Test
    void samplesFollowTheTemperedSoftmax() {
        float[] l = logitsOf(0.7, 0.2, 0.1);
        double[] f = frequencies(new Sampler(GenerationConfig.sampling(1, 2f, 0, 1f, 6)), l, 6000);
        double z = Math.sqrt(0.7) + Math.sqrt(0.2) + Math.sqrt(0.1); // softmax(log p / 2) ∝ √p
        assertEquals(Math.sqrt(0.7) / z, f[0], 0.03);
        assertEquals(Math.sqrt(0.2) / z, f[1], 0.03);
        assertEquals(Math.sqrt(0.1) / z, f[2], 0.03);
    }

    @Test
    void repetitionPenaltyDividesPositiveLogitsAndMultipliesNegativeOnes() {
        float[] scores = {2f, -2f, 3f, 1f};
        Sampler.applyRepetitionPenalty(scores, new int[] {0, 1, 0}, 3, 2f, new boolean[4]);
        assertArrayEquals(new float[] {1f, -4f, 3f, 1f}, scores); // token 0 penalized once, not per occurrence
        // greedy with the penalty: the repeated token loses to a fresh one
        Sampler s = new Sampler(GenerationConfig.greedy(1).withRepetitionPenalty(2f));
        assertEquals(1, s.next(new float[] {2f, 1.5f}, new int[] {0}, 1));
        float[] logits = {2f, 1.5f};
        s.next(logits, new int[] {0}, 1);
        assertArrayEquals(new float[] {2f, 1.5f}, logits, "the caller's logits are not modified");
    }

    @Test
    void aGenerationConfigJsonGivesTheModelsDefaults() throws Exception {
        // Qwen/Qwen3-0.6B's generation_config.json as published on the Hub
        String qwen3 = """
                {
                  "bos_token_id": 151643,
                  "do_sample": true,
                  "eos_token_id": [151645, 151643],
                  "pad_token_id": 151643,
                  "temperature": 0.6,
                  "top_k": 20,
                  "top_p": 0.95,
                  "transformers_version": "4.51.0"
                }""";
        GenerationConfig g = GenerationConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(qwen3), 128, 5);
        assertTrue(g.doSample());
        assertEquals(0.6f, g.temperature());
        assertEquals(20, g.topK());
        assertEquals(0.95f, g.topP());
        assertEquals(1f, g.repetitionPenalty());
        assertEquals(128, g.maxNewTokens());
        assertEquals(List.of(151645, 151643), g.stopTokenIds());
        GenerationConfig greedy = GenerationConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"eos_token_id\": 2, \"temperature\": 0.0, \"max_new_tokens\": 9}"), 128, 0);
        assertFalse(greedy.doSample()); // temperature is ignored without do_sample, as in transformers
        assertEquals(9, greedy.maxNewTokens());
        assertEquals(List.of(2), greedy.stopTokenIds());
    }

    @Test
    void invalidSettingsAreClearErrors() {
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.sampling(4, 0f, 0, 1f, 0));
        assertTrue(t.getMessage().contains("temperature"), t.getMessage());
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.sampling(4, 1f, 0, 0f, 0));
        assertTrue(p.getMessage().contains("top_p"), p.getMessage());
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.greedy(0));
        assertTrue(n.getMessage().contains("max_new_tokens"), n.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> GenerationConfig.greedy(3).withStopStrings(List.of("")));
        assertTrue(s.getMessage().contains("stop string"), s.getMessage());
    }
}
