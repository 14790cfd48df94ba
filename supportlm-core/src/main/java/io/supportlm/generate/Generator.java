package io.supportlm.generate;

import io.supportlm.generate.Generation.StopReason;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.KvCache;
import java.util.Arrays;
import java.util.List;

/**
 * Text generation with a decoder model: one prefill of the prompt into a {@link KvCache}, then
 * one decode step per token, each token picked by a {@link Sampler}. Stops at a stop token, a stop
 * string, {@code max_new_tokens}, or the model's context length, whichever comes first; streams
 * each token with the text it makes final.
 */
public final class Generator {
    /**
     * Positions that precede every prompt in the cache, and how the prompt is run after them: the
     * trained virtual tokens of a prompt-tuned adapter. Without one, the prompt is prefilled alone.
     */
    public interface Prefix {
        /** Cache positions the prefix occupies. */
        int length();

        /** Empties {@code cache}, runs the prefix and then {@code prompt}; the logits after the prompt's last token. */
        float[] prefill(KvCache cache, int[] prompt);
    }

    private final DecoderModel model;
    private final Prefix prefix;

    public Generator(DecoderModel model) {
        this(model, null);
    }

    /** Generates after {@code prefix} (null: none). */
    public Generator(DecoderModel model, Prefix prefix) {
        this.model = model;
        this.prefix = prefix;
    }

    /**
     * Generates a continuation of {@code prompt}.
     *
     * @param decoder turns generated ids into text (for the result, the stream and stop strings)
     * @param stream  called once per generated token, and once for a stop token (with whatever text
     *                was held back until then); may be null
     */
    public Generation generate(int[] prompt, GenerationConfig config, TokenDecoder decoder, TokenStream stream) {
        int maxPositions = model.config().maxPositions();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("generation: the prompt is empty");
        }
        int prefixLength = prefix == null ? 0 : prefix.length();
        if (prefixLength + prompt.length >= maxPositions) {
            throw new IllegalArgumentException("generation: a prompt of " + prompt.length + " tokens"
                    + (prefixLength > 0 ? " after " + prefixLength + " virtual tokens" : "")
                    + " leaves no room in the model's context of " + maxPositions + " (max_position_embeddings)");
        }
        int capacity = Math.min(maxPositions, prefixLength + prompt.length + config.maxNewTokens());
        KvCache cache = model.newCache(capacity);
        Sampler sampler = new Sampler(config);
        int[] context = Arrays.copyOf(prompt, capacity + 1); // prompt, then generated tokens
        int n = prompt.length; // tokens of context, for the sampler's repetition penalty (the prefix has no ids)
        int[] generated = new int[config.maxNewTokens()];
        int count = 0;
        int emitted = 0; // chars of text already streamed
        String text = "";
        List<String> stops = config.stopStrings();
        float[] logits = prefix == null ? model.prefill(cache, prompt) : prefix.prefill(cache, prompt);
        while (true) {
            int token = sampler.next(logits, context, n);
            if (config.stopTokenIds().contains(token)) {
                if (stream != null) {
                    stream.accept(token, text.substring(emitted));
                }
                return new Generation(Arrays.copyOf(generated, count), text, StopReason.STOP_TOKEN);
            }
            generated[count++] = token;
            context[n++] = token;
            text = decoder.decode(Arrays.copyOf(generated, count));
            int cut = firstStop(text, stops);
            StopReason reason = cut >= 0 ? StopReason.STOP_STRING
                    : count == config.maxNewTokens() ? StopReason.MAX_NEW_TOKENS
                    : prefixLength + n == maxPositions ? StopReason.CONTEXT_FULL : null;
            if (cut >= 0) {
                text = text.substring(0, cut);
            }
            int ready = reason != null ? text.length() : safeLength(text, stops);
            String delta = ready > emitted ? text.substring(emitted, ready) : "";
            emitted = Math.max(emitted, ready);
            if (stream != null && !stream.accept(token, delta)) {
                reason = StopReason.CANCELLED;
            }
            if (reason != null) {
                return new Generation(Arrays.copyOf(generated, count), text, reason);
            }
            logits = model.decode(cache, token);
        }
    }

    /** Where the first stop string starts in text, or −1. */
    static int firstStop(String text, List<String> stops) {
        int first = -1;
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        return first;
    }

    /**
     * How much of text can be streamed now: not a tail that could still grow into a stop string,
     * not a trailing incomplete character (U+FFFD from a partial UTF-8 sequence, or a lone high surrogate).
     */
    static int safeLength(String text, List<String> stops) {
        int safe = text.length();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    safe = Math.min(safe, text.length() - k);
                    break;
                }
            }
        }
        while (safe > 0 && (text.charAt(safe - 1) == '\uFFFD' || Character.isHighSurrogate(text.charAt(safe - 1)))) {
            safe--;
        }
        return safe;
    }
}
