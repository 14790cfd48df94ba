package io.supportlm.sft.data;

import java.util.List;
import java.util.Locale;

/**
 * How conversations become training sequences.
 *
 * @param maxLength      the longest sequence in tokens (at least 8); longer conversations are
 *                       truncated by {@code truncation}
 * @param truncation     {@link Truncation#LATEST_TURNS} (default) or {@link Truncation#SLIDING_WINDOW}
 * @param windowStride   sliding window only: tokens between the starts of two windows, in
 *                       {@code [1, maxLength - 1]}; 0 means {@code maxLength / 2}
 * @param systemPrompt   put first in every conversation that has no system message of its own;
 *                       null for none (the template's own default, if any, then applies)
 * @param skipIncomplete false (default): a record without an assistant reply is an error; true:
 *                       such records are skipped and counted in {@link SftDataStats#skipped()}
 * @param stopTokens     token strings that end a reply besides the tokenizer's EOS (for example
 *                       {@code <end_of_turn>} when the model's generation config stops on it);
 *                       each must be one token of the vocabulary
 */
public record SftDataConfig(int maxLength, Truncation truncation, int windowStride, String systemPrompt,
                            boolean skipIncomplete, List<String> stopTokens) {

    /** What to do with a conversation longer than {@code maxLength}. */
    public enum Truncation {
        /**
         * Keep the system prompt and the latest turns: drop the oldest whole exchanges (user
         * turns and the assistant reply that follows them); if the last exchange alone is still
         * too long, cut the start of its user text, then the end of the reply (see docs/sft.md).
         */
        LATEST_TURNS,
        /**
         * Split the whole token sequence into windows of {@code maxLength} starting every
         * {@code windowStride} tokens; each assistant token is labelled in exactly one window
         * (the first that sees it with the overlap as context).
         */
        SLIDING_WINDOW;

        /** Parses {@code latest_turns} or {@code sliding_window} (case-insensitive). */
        public static Truncation parse(String name) {
            for (Truncation t : values()) {
                if (t.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("truncation must be latest_turns or sliding_window, got '" + name + "'");
        }

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public SftDataConfig {
        if (maxLength < 8) {
            throw new IllegalArgumentException("sft data: max_length must be at least 8 tokens, got " + maxLength);
        }
        if (truncation == null) {
            truncation = Truncation.LATEST_TURNS;
        }
        if (windowStride == 0) {
            windowStride = maxLength / 2;
        }
        if (windowStride < 1 || windowStride > maxLength - 1) {
            throw new IllegalArgumentException("sft data: window_stride must be in [1, max_length - 1] = [1, "
                    + (maxLength - 1) + "] (0 for max_length / 2), got " + windowStride);
        }
        stopTokens = stopTokens == null ? List.of() : List.copyOf(stopTokens);
        for (String s : stopTokens) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("sft data: stop_tokens holds an empty token");
            }
        }
    }

    /** Latest-turns truncation at {@code maxLength}, no system prompt, incomplete records are errors. */
    public static SftDataConfig defaults(int maxLength) {
        return new SftDataConfig(maxLength, Truncation.LATEST_TURNS, 0, null, false, List.of());
    }

    public SftDataConfig withSystemPrompt(String prompt) {
        return new SftDataConfig(maxLength, truncation, windowStride, prompt, skipIncomplete, stopTokens);
    }

    public SftDataConfig withSlidingWindow(int stride) {
        return new SftDataConfig(maxLength, Truncation.SLIDING_WINDOW, stride, systemPrompt, skipIncomplete, stopTokens);
    }

    public SftDataConfig withSkipIncomplete(boolean skip) {
        return new SftDataConfig(maxLength, truncation, windowStride, systemPrompt, skip, stopTokens);
    }

    public SftDataConfig withStopTokens(List<String> tokens) {
        return new SftDataConfig(maxLength, truncation, windowStride, systemPrompt, skipIncomplete, tokens);
    }
}
