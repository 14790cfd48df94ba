package io.supportlm.generate;

/**
 * The result of {@link Generator#generate}.
 *
 * @param tokens the generated token ids, without the prompt and without a stop token (but with the
 *               tokens that spelled a stop string)
 * @param text   the decoded text, cut before a stop string
 */
public record Generation(int[] tokens, String text, StopReason stopReason) {
    public enum StopReason {
        /** A stop token (EOS) was generated. */
        STOP_TOKEN,
        /** The text came to contain a stop string. */
        STOP_STRING,
        /** max_new_tokens were generated. */
        MAX_NEW_TOKENS,
        /** The model's max_position_embeddings was reached. */
        CONTEXT_FULL,
        /** The stream callback asked to stop. */
        CANCELLED
    }
}
