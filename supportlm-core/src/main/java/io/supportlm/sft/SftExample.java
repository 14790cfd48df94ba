package io.supportlm.sft;

import java.util.Objects;

/**
 * One tokenized training sequence, as transformers' causal-LM models take it: {@code labels[i]} is
 * {@code ids[i]} where the model must learn to produce that token (the assistant's replies, their
 * end-of-turn and EOS tokens included), and {@link #IGNORE} (-100) elsewhere. The loss at position
 * {@code t} predicts {@code labels[t + 1]} from {@code ids[0..t]}; the shift happens in the loss,
 * never here, so a mask can be checked against the text it covers.
 */
public record SftExample(int[] ids, int[] labels) {
    public static final int IGNORE = -100;

    public SftExample {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(labels, "labels");
        if (ids.length != labels.length) {
            throw new IllegalArgumentException("sft example: " + ids.length + " ids but " + labels.length + " labels");
        }
        for (int i = 0; i < ids.length; i++) {
            if (labels[i] != IGNORE && labels[i] != ids[i]) {
                throw new IllegalArgumentException("sft example: label " + labels[i] + " at position " + i
                        + " is neither -100 nor the token id " + ids[i]);
            }
        }
    }

    public int length() {
        return ids.length;
    }

    /** Tokens that carry a loss (as targets of the previous position). */
    public int trainableTokens() {
        int n = 0;
        for (int i = 1; i < labels.length; i++) {
            if (labels[i] != IGNORE) {
                n++;
            }
        }
        return n;
    }
}
