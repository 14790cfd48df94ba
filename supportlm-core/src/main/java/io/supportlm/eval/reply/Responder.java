package io.supportlm.eval.reply;

/**
 * Answers suite questions: the thing under evaluation. A decoder with its chat template
 * ({@link DecoderResponder}) is the usual one; anything that maps a question to text fits.
 */
public interface Responder {
    /** A short name for reports ("tuned", "base", a model directory...). */
    String name();

    /**
     * Answers one question.
     *
     * @param context optional facts for the answer (null when the item has none)
     */
    Answer answer(String question, String context);

    /**
     * One answer with its cost.
     *
     * @param tokens    tokens generated (without the stop token)
     * @param latencyMs wall time from the question to the whole answer
     * @param truncated the answer hit the token limit or the context length instead of ending by itself
     */
    record Answer(String text, int tokens, double latencyMs, boolean truncated) {
        public Answer {
            if (text == null) {
                throw new IllegalArgumentException("an answer's text must not be null");
            }
            if (tokens < 0 || !(latencyMs >= 0)) {
                throw new IllegalArgumentException("answer: tokens and latency must be >= 0, got " + tokens + " and " + latencyMs);
            }
        }
    }
}
