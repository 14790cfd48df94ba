package io.supportlm.eval.reply;

/**
 * A checkable statement in an answer: a span that asserts a specific fact.
 *
 * @param start offset of the span in the answer (chars)
 * @param end   offset just past it
 */
public record Claim(Kind kind, String text, int start, int end) {
    /** What a claim asserts; see {@link HallucinationRubric} for how each is found and checked. */
    public enum Kind {
        PLACEHOLDER, URL, EMAIL, MONEY, DATE, PHONE, NUMBER, NAME;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Override
    public String toString() {
        return kind.label() + ":" + text;
    }
}
