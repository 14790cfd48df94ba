package io.supportlm.data.ingest;

/** Why an input row did not become a record. */
public enum RejectReason {
    /** A required column or JSON key is absent, or its value is empty. */
    MISSING_FIELD,
    /** The input text is empty after normalization. */
    EMPTY_TEXT,
    /** A label value is not one the config allows (after label-value mapping). */
    UNKNOWN_LABEL,
    /** The row holds bytes that are not valid UTF-8. */
    BAD_ENCODING,
    /** The input text is longer than {@code maxChars}. */
    TEXT_TOO_LONG,
    /** The row cannot be parsed: wrong number of CSV fields, broken JSON, invalid record. */
    MALFORMED_ROW,
    /** The record id was already used by an earlier accepted record. */
    DUPLICATE_ID
}
