package io.supportlm.generate;

/**
 * Turns token ids into text, as a tokenizer's {@code decode} does (the Hugging Face tokenizer plugs
 * in here). The generator decodes the whole generated sequence each step, so byte-level tokens
 * that only form a character together decode correctly; a trailing incomplete character should
 * come back as U+FFFD, which the generator holds back from the stream until it is complete.
 */
@FunctionalInterface
public interface TokenDecoder {
    String decode(int[] ids);
}
