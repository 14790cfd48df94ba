package io.supportlm.sft;

import java.util.Objects;

/**
 * A DPO pair: the same prompt followed by the chosen and by the rejected answer, each tokenized
 * with labels only on the answer (see {@link SftExample}); the prompt tokens of both are identical.
 */
public record PreferenceExample(SftExample chosen, SftExample rejected) {
    public PreferenceExample {
        Objects.requireNonNull(chosen, "chosen");
        Objects.requireNonNull(rejected, "rejected");
    }
}
