package io.supportlm.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.generate.Generation.StopReason;
import io.supportlm.model.decoder.DecoderActivations;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    private static final DecoderConfig CONFIG = DecoderInit.tiny(DecoderConfig.Family.GEMMA3);
    private static final DecoderModel MODEL = new DecoderModel(CONFIG,
            DecoderWeights.load(DecoderInit.randomWeights(CONFIG, 11, 0.5f), CONFIG));
    private static final int[] PROMPT = {5, 17, 3, 40, 22};
    /** Greedy with a repetition penalty: a random model alone would repeat one token. */
    private static final GenerationConfig VARIED = GenerationConfig.greedy(8).withRepetitionPenalty(4f);
    /** A stand-in for a tokenizer: token 7 decodes to "t7 ". */
    private static final TokenDecoder WORDS = ids -> {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append('t').append(id).append(' ');
        }
        return sb.toString();
    };

    /** Records the stream. */
    private static final class Recorder implements TokenStream {
        final List<Integer> tokens = new ArrayList<>();
        final StringBuilder text = new StringBuilder();
        int stopAfter = Integer.MAX_VALUE;

        @Override
        public boolean accept(int token, String textDelta) {
            tokens.add(token);
            text.append(textDelta);
            return tokens.size() < stopAfter;
        }
    }

    @Test
    void greedyTokensAreTheArgmaxOfAFullForward() {
        Generation g = new Generator(MODEL).generate(PROMPT, GenerationConfig.greedy(6), WORDS, null);
        assertEquals(6, g.tokens().length);
        assertEquals(StopReason.MAX_NEW_TOKENS, g.stopReason());
        int[] seq = Arrays.copyOf(PROMPT, PROMPT.length + 6);
        System.arraycopy(g.tokens(), 0, seq, PROMPT.length, 6);
        DecoderActivations a = MODEL.allocateInference(1, seq.length, seq.length);
        MODEL.forward(a, seq, null, null, 1, seq.length);
        int V = CONFIG.vocabSize();
        for (int t = 0; t < 6; t++) {
            int row = PROMPT.length - 1 + t;
            float[] logits = Arrays.copyOf(MODEL.logits(a, new int[] {row}, 1), V);
            assertEquals(Sampler.argmax(logits), g.tokens()[t], "token " + t);
        }
    }

    @Test
    void aStopTokenEndsGenerationAndIsLeftOut() {
        int[] free = new Generator(MODEL).generate(PROMPT, VARIED, WORDS, null).tokens();
        int k = firstNew(free);
        Recorder r = new Recorder();
        Generation g = new Generator(MODEL).generate(PROMPT, VARIED.withStopTokens(List.of(free[k])), WORDS, r);
        assertEquals(StopReason.STOP_TOKEN, g.stopReason());
        assertArrayEquals(Arrays.copyOf(free, k), g.tokens());
        assertEquals(free[k], r.tokens.getLast(), "the stream hears of the stop token");
        assertEquals(g.text(), r.text.toString());
    }

    /** The first position whose token did not occur before it. */
    private static int firstNew(int[] s) {
        for (int k = 1; k < s.length; k++) {
            int t = s[k];
            if (Arrays.stream(s, 0, k).noneMatch(x -> x == t)) {
                return k;
            }
        }
        throw new AssertionError("greedy output repeats one token: " + Arrays.toString(s));
    }

    @Test
    void aStopStringCutsTheTextAndTheStreamNeverShowsIt() {
        Generation free = new Generator(MODEL).generate(PROMPT, VARIED, WORDS, null);
        int k = firstNew(free.tokens());
        // a stop string spanning two tokens, so the stream must hold back the first half
        String stop = "t" + free.tokens()[k] + " t" + free.tokens()[k + 1];
        Recorder r = new Recorder();
        Generation g = new Generator(MODEL).generate(PROMPT, VARIED.withStopStrings(List.of("zzz", stop)), WORDS, r);
        assertEquals(StopReason.STOP_STRING, g.stopReason());
        assertEquals(free.text().substring(0, free.text().indexOf(stop)), g.text());
        assertEquals(k + 2, g.tokens().length);
        assertEquals(g.text(), r.text.toString());
    }

    @Test
    void samplingWithASeedIsRepeatableAndStreamsEveryToken() {
        GenerationConfig sampling = GenerationConfig.sampling(7, 1.2f, 20, 0.95f, 99);
        Recorder r = new Recorder();
        Generation a = new Generator(MODEL).generate(PROMPT, sampling, WORDS, r);
        Generation b = new Generator(MODEL).generate(PROMPT, sampling, WORDS, null);
        assertArrayEquals(a.tokens(), b.tokens());
        assertEquals(7, r.tokens.size());
        assertEquals(WORDS.decode(a.tokens()), r.text.toString());
    }

    @Test
    void generationsOnSeveralThreadsMatchTheirSequentialResults() throws Exception {
        GenerationConfig sampling = GenerationConfig.sampling(6, 1f, 0, 1f, 0);
        int[][] expected = new int[4][];
        for (int i = 0; i < 4; i++) {
            expected[i] = new Generator(MODEL).generate(PROMPT, sampling.withSeed(i), WORDS, null).tokens();
        }
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<int[]>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long seed = i;
                runs.add(pool.submit(() -> new Generator(MODEL).generate(PROMPT, sampling.withSeed(seed), WORDS, null).tokens()));
            }
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(expected[i], runs.get(i).get(), "seed " + i);
            }
        }
    }

    @Test
    void theStreamCanCancel() {
        Recorder r = new Recorder();
        r.stopAfter = 2;
        Generation g = new Generator(MODEL).generate(PROMPT, GenerationConfig.greedy(8), WORDS, r);
        assertEquals(StopReason.CANCELLED, g.stopReason());
        assertEquals(2, g.tokens().length);
    }

    @Test
    void generationStopsAtTheModelsContextLength() {
        int[] longPrompt = new int[CONFIG.maxPositions() - 3];
        Arrays.setAll(longPrompt, i -> (i * 7) % CONFIG.vocabSize());
        Generation g = new Generator(MODEL).generate(longPrompt, GenerationConfig.greedy(10), WORDS, null);
        assertEquals(StopReason.CONTEXT_FULL, g.stopReason());
        assertEquals(3, g.tokens().length);
    }

    @Test
    void theStreamHoldsBackPossibleStopStringsAndIncompleteCharacters() {
        assertEquals(6, Generator.safeLength("hello <", List.of("<|end|>")));
        assertEquals(5, Generator.safeLength("hello<|en", List.of("<|end|>")));
        assertEquals(5, Generator.safeLength("hello\uFFFD", List.of()));
        assertEquals(5, Generator.safeLength("hello", List.of("<|end|>")));
        assertTrue(Generator.firstStop("a<|end|>b<|x|>", List.of("<|x|>", "<|end|>")) == 1);
    }
}
