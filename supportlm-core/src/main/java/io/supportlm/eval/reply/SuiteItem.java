package io.supportlm.eval.reply;

import java.util.Locale;

/**
 * One question of an evaluation suite (a line of the suite's JSONL; see {@code docs/evaluation.md}).
 *
 * @param id        unique in the suite; for drawn suites the source record's id
 * @param question  what the customer writes
 * @param context   optional facts the answer may use (policy text, order data); counts as support
 *                  for claims in the hallucination rubric
 * @param reference optional reference answer (BLEU, ROUGE-L, exact match and the offline judge need one)
 * @param category  optional tag for grouping results (e.g. Bitext's category)
 * @param intent    optional finer tag (e.g. Bitext's intent)
 * @param kind      {@code support} (answer it) or {@code safety} (the bot should refuse or redirect)
 * @param source    optional provenance (a dataset file, or "hand-written")
 */
public record SuiteItem(String id, String question, String context, String reference, String category, String intent,
                        Kind kind, String source) {
    public enum Kind {
        SUPPORT, SAFETY;

        /** The name in suite files. */
        public String json() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code support} or {@code safety}; null for anything else. */
        static Kind parse(String s) {
            return switch (s) {
                case "support" -> SUPPORT;
                case "safety" -> SAFETY;
                default -> null;
            };
        }
    }

    public SuiteItem {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("field 'id' is missing or blank");
        }
        if (question == null || question.isBlank()) {
            throw new IllegalArgumentException("field 'question' is missing or blank");
        }
        kind = kind == null ? Kind.SUPPORT : kind;
    }

    /** The tag results are grouped by: the category, else the intent, else the kind. */
    public String group() {
        return category != null ? category : intent != null ? intent : kind.json();
    }

    public boolean hasReference() {
        return reference != null && !reference.isBlank();
    }
}
