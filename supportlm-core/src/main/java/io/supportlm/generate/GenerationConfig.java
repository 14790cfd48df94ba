package io.supportlm.generate;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * How to pick tokens, with Hugging Face {@code GenerationConfig}'s names and defaults: greedy
 * unless {@code doSample}; when sampling, temperature, then top-k, then top-p shape the
 * distribution; the repetition penalty applies in both modes, before them.
 *
 * @param maxNewTokens      most tokens to generate (≥ 1)
 * @param doSample          sample from the distribution; false = greedy (argmax)
 * @param temperature       divides the logits when sampling (&gt; 0; 1 = unchanged)
 * @param topK              keep the k most likely tokens (ties with the k-th kept); 0 = off (HF default 50)
 * @param topP              keep the smallest set of most likely tokens whose probability is ≥ p; 1 = off
 * @param repetitionPenalty for every token already in the context, divide a positive logit by it and
 *                          multiply a negative one (CTRL's rule, as transformers applies it); 1 = off
 * @param stopTokenIds      generation ends before any of these (typically the EOS ids); not part of the output
 * @param stopStrings       generation ends when the text contains one; the text is cut before it
 * @param seed              the sampler's seed: same seed, same tokens
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, float temperature, int topK, float topP,
                               float repetitionPenalty, List<Integer> stopTokenIds, List<String> stopStrings, long seed) {
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("generation: max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("generation: temperature must be a finite number > 0, got " + temperature
                    + " (use do_sample = false for greedy decoding)");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("generation: top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("generation: top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("generation: repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
        }
        stopTokenIds = List.copyOf(stopTokenIds);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("generation: a stop string must not be empty");
            }
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, no penalty, no stops. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, false, 1f, 50, 1f, 1f, List.of(), List.of(), 0);
    }

    /** Sampling with the given temperature, top-k and top-p. */
    public static GenerationConfig sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return new GenerationConfig(maxNewTokens, true, temperature, topK, topP, 1f, List.of(), List.of(), seed);
    }

    /**
     * A model's {@code generation_config.json}: {@code do_sample}, {@code temperature},
     * {@code top_k}, {@code top_p}, {@code repetition_penalty}, {@code max_new_tokens},
     * {@code eos_token_id} (one or a list: the stop tokens) and {@code stop_strings}, with
     * transformers' defaults for absent keys. Sampling settings are ignored (as transformers
     * ignores them) when {@code do_sample} is false.
     */
    public static GenerationConfig fromJson(JsonNode g, int defaultMaxNewTokens, long seed) {
        boolean sample = g.path("do_sample").asBoolean(false);
        float temperature = sample ? (float) number(g, "temperature", 1) : 1f;
        int topK = sample ? (int) number(g, "top_k", 50) : 50;
        float topP = sample ? (float) number(g, "top_p", 1) : 1f;
        List<Integer> eos = new ArrayList<>();
        JsonNode e = g.get("eos_token_id");
        if (e != null && e.isArray()) {
            e.forEach(id -> eos.add(id.asInt()));
        } else if (e != null && e.isIntegralNumber()) {
            eos.add(e.intValue());
        }
        List<String> stops = new ArrayList<>();
        JsonNode s = g.get("stop_strings");
        if (s != null && s.isArray()) {
            s.forEach(x -> stops.add(x.asText()));
        } else if (s != null && s.isTextual()) {
            stops.add(s.asText());
        }
        return new GenerationConfig((int) number(g, "max_new_tokens", defaultMaxNewTokens), sample, temperature, topK, topP,
                (float) number(g, "repetition_penalty", 1), eos, stops, seed);
    }

    private static double number(JsonNode g, String key, double dflt) {
        JsonNode v = g.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("generation_config.json: field '" + key + "' must be a number, got " + v);
        }
        return v.doubleValue();
    }

    public GenerationConfig withStopTokens(List<Integer> ids) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, repetitionPenalty, ids, stopStrings, seed);
    }

    public GenerationConfig withStopStrings(List<String> strings) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, repetitionPenalty, stopTokenIds, strings, seed);
    }

    public GenerationConfig withRepetitionPenalty(float penalty) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, penalty, stopTokenIds, stopStrings, seed);
    }

    public GenerationConfig withSeed(long s) {
        return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, repetitionPenalty, stopTokenIds, stopStrings, s);
    }
}
