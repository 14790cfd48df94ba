package io.supportlm.sft.data;

/**
 * What loading a training file produced. Every record read is accounted for:
 * {@code recordsRead = conversations + skipped}; conversations become one example each, or
 * several windows with the sliding-window truncation.
 *
 * @param recordsRead        non-blank lines of the file
 * @param skipped            records without an assistant reply, skipped on request
 * @param conversations      records turned into examples
 * @param examples           training sequences (SFT examples, or DPO pairs)
 * @param tokens             tokens over all examples (both sequences of a DPO pair)
 * @param trainableTokens    tokens that carry a loss
 * @param truncated          conversations longer than max_length (turns dropped, text cut, or
 *                           split into windows)
 * @param repliesCut         of those, conversations whose trained reply was cut at its end (its
 *                           EOS is then not learned)
 * @param unlabelledWindows  sliding-window windows without any assistant token, not kept
 * @param longest            the longest example in tokens
 */
public record SftDataStats(int recordsRead, int skipped, int conversations, int examples, long tokens, long trainableTokens,
                           int truncated, int repliesCut, int unlabelledWindows, int longest) {
    public SftDataStats {
        if (recordsRead != conversations + skipped) {
            throw new IllegalStateException("sft data does not reconcile: " + recordsRead + " records read but "
                    + conversations + " conversations + " + skipped + " skipped");
        }
    }

    /** One line for the console and the run log. */
    public String summary() {
        return String.format("records %d = conversations %d + skipped without reply %d; examples %d, tokens %,d, trainable %,d "
                        + "(%.1f%%), longest %d; truncated %d (replies cut %d)%s",
                recordsRead, conversations, skipped, examples, tokens, trainableTokens,
                tokens == 0 ? 0.0 : 100.0 * trainableTokens / tokens, longest, truncated, repliesCut,
                unlabelledWindows == 0 ? "" : ", windows without assistant tokens dropped " + unlabelledWindows);
    }
}
