package io.supportlm.model.hf;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * {@code generation_config.json}: the decoding defaults a model ships with. Absent fields take
 * transformers' {@code GenerationConfig} defaults: {@code max_length} 20, no
 * {@code max_new_tokens}, greedy ({@code do_sample} false), {@code temperature} 1.0,
 * {@code top_k} 50, {@code top_p} 1.0, no {@code min_p}, {@code repetition_penalty} 1.0.
 *
 * @param eosTokenIds every id that ends generation ({@code eos_token_id} is an int or a list)
 */
public record GenerationConfig(
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds,
        OptionalInt padTokenId,
        int maxLength,
        OptionalInt maxNewTokens,
        boolean doSample,
        double temperature,
        int topK,
        double topP,
        OptionalDouble minP,
        double repetitionPenalty) {

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (maxLength <= 0) {
            throw new IllegalArgumentException("max_length must be positive, got " + maxLength);
        }
        if (maxNewTokens.isPresent() && maxNewTokens.getAsInt() <= 0) {
            throw new IllegalArgumentException("max_new_tokens must be positive, got " + maxNewTokens.getAsInt());
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (minP.isPresent() && !(minP.getAsDouble() >= 0 && minP.getAsDouble() <= 1)) {
            throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP.getAsDouble());
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    /** transformers' defaults, with no special token ids. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(OptionalInt.empty(), List.of(), OptionalInt.empty(), 20, OptionalInt.empty(), false, 1.0,
                50, 1.0, OptionalDouble.empty(), 1.0);
    }

    /** Reads a {@code generation_config.json}; errors name the file and field. */
    public static GenerationConfig load(Path file) {
        return from(ConfigJson.load(file));
    }

    /**
     * Reads the generation fields of a config: a {@code generation_config.json}, or, as
     * transformers does when that file is missing, the model's {@code config.json} (its token ids).
     */
    public static GenerationConfig from(ConfigJson c) {
        try {
            return new GenerationConfig(c.optInt("bos_token_id"), c.intOrIntList("eos_token_id"), c.optInt("pad_token_id"),
                    c.getInt("max_length", 20), c.optInt("max_new_tokens"), c.getBoolean("do_sample", false),
                    c.getDouble("temperature", 1.0), c.getInt("top_k", 50), c.getDouble("top_p", 1.0), c.optDouble("min_p"),
                    c.getDouble("repetition_penalty", 1.0));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(c.source()) ? e : new IllegalArgumentException(c.source() + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code tokenId} ends generation. */
    public boolean isEos(int tokenId) {
        return eosTokenIds.contains(tokenId);
    }
}
