package io.supportlm.data.pii;

import java.util.Locale;

/** The kinds of personal data the redactor finds, each with the placeholder that replaces it. */
public enum PiiKind {
    /** URLs carrying credentials ({@code user:pass@}) or secret query parameters (token, api_key, ...). */
    CREDENTIAL_URL("[CREDENTIAL_URL]"),
    EMAIL("[EMAIL]"),
    /** International bank account numbers that pass the ISO 13616 mod-97 check. */
    IBAN("[IBAN]"),
    /** Payment card numbers: a known issuer prefix, 13-19 digits, and a valid Luhn checksum. */
    CARD("[CARD]"),
    /** US social security numbers (123-45-6789) and UK national insurance numbers (QQ 12 34 56 C). */
    NATIONAL_ID("[NATIONAL_ID]"),
    IP_ADDRESS("[IP]"),
    PHONE("[PHONE]");

    private final String placeholder;

    PiiKind(String placeholder) {
        this.placeholder = placeholder;
    }

    public String placeholder() {
        return placeholder;
    }

    /** Parses a kind case-insensitively, accepting {@code ip} for {@link #IP_ADDRESS}. */
    public static PiiKind parse(String name) {
        String n = name.strip().toUpperCase(Locale.ROOT).replace('-', '_');
        if (n.equals("IP")) {
            return IP_ADDRESS;
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown PII kind '" + name + "'; expected one of "
                    + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
        }
    }
}
