package io.supportlm.generate;

/** Receives each generated token as it is chosen, with the text it adds (possibly empty). */
@FunctionalInterface
public interface TokenStream {
    /**
     * @param token     the token id just generated
     * @param textDelta the text that became final with it: never text that a stop string later
     *                  cuts, so the deltas concatenate to the result's text
     * @return false to stop generating (the result's stop reason is then {@code CANCELLED})
     */
    boolean accept(int token, String textDelta);
}
