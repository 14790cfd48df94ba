package io.supportlm.server;

import io.supportlm.model.hf.ChatTemplate;
import java.util.List;

/**
 * The seam for text generation: what {@code /v1/generate}, {@code /v1/completions} and
 * {@code /v1/chat/completions} call ({@link io.supportlm.server.generate.DecoderGenerator} over a decoder). An implementation wraps a decoder model (and its LoRA
 * adapter); the server owns queueing, timeouts, policy and the wire formats. Generation must
 * check {@link Cancellation#cancelled()} between tokens so that a client that disconnects stops
 * the work.
 */
public interface TextGenerator {
    /**
     * Sampling settings, validated by the HTTP layer before they get here. {@code temperature} 0
     * is greedy decoding; {@code seed} null draws one. {@code addSpecialTokens} is true for a raw
     * prompt (the tokenizer adds BOS as in training) and false for a rendered chat template, which
     * already spells its special tokens.
     */
    record Request(String prompt, int maxNewTokens, double temperature, double topP, List<String> stop, Long seed,
                   boolean addSpecialTokens) {
        public Request {
            if (prompt == null || prompt.isEmpty()) {
                throw new IllegalArgumentException("the prompt must not be empty");
            }
            stop = stop == null ? List.of() : List.copyOf(stop);
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + maxNewTokens);
            }
            if (!(temperature >= 0)) {
                throw new IllegalArgumentException("temperature must be ≥ 0, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
            }
        }
    }

    /** Why generation ended, in OpenAI's words. */
    enum FinishReason { STOP, LENGTH, CANCELLED }

    /** The generated text and the token counts for {@code usage}. */
    record Result(String text, int promptTokens, int completionTokens, FinishReason finishReason) {}

    /** Receives text as it is produced (for server-sent events). */
    @FunctionalInterface
    interface TokenSink {
        void accept(String textDelta);
    }

    /** Polled between tokens; true once the client is gone or the request timed out. */
    @FunctionalInterface
    interface Cancellation {
        boolean cancelled();
    }

    /**
     * Generates for {@code request}, streaming deltas to {@code sink}; the deltas concatenate to
     * the result's text. A prompt longer than the model's context is an {@link ApiException} 400.
     */
    Result generate(Request request, TokenSink sink, Cancellation cancellation);

    /** The prompt for a chat: the messages through the model's chat template, ready for the assistant's turn. */
    String chatPrompt(List<ChatTemplate.Message> messages);
}
