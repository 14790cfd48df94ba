package io.supportlm.data;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * Text clean-up applied to every ingested field, and the key used for near-duplicate detection.
 * Uses {@link java.text.Normalizer} for Unicode NFC.
 */
public final class TextNormalizer {
    // C0/C1 controls except tab and newlines, plus zero-width and bidi marks, which only hide text.
    private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F\\u200B-\\u200F\\u202A-\\u202E\\u2060\\uFEFF]");
    private static final Pattern HORIZONTAL_SPACE = Pattern.compile("[\\t\\x20\\u00A0\\u2000-\\u200A\\u202F\\u205F\\u3000]+");
    private static final Pattern SPACE_AROUND_NEWLINE = Pattern.compile(" *\n *");
    private static final Pattern MANY_NEWLINES = Pattern.compile("\n{3,}");
    private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");

    private TextNormalizer() {}

    /**
     * NFC, CRLF/CR to LF, control characters removed, runs of spaces/tabs collapsed to one space,
     * at most one blank line in a row, trimmed. Line structure is kept: answers have paragraphs.
     */
    public static String normalize(String s) {
        if (s == null) {
            return null;
        }
        String t = Normalizer.normalize(s, Normalizer.Form.NFC);
        t = t.replace("\r\n", "\n").replace('\r', '\n');
        t = CONTROL.matcher(t).replaceAll("");
        t = HORIZONTAL_SPACE.matcher(t).replaceAll(" ");
        t = SPACE_AROUND_NEWLINE.matcher(t).replaceAll("\n");
        t = MANY_NEWLINES.matcher(t).replaceAll("\n\n");
        return t.strip();
    }

    /**
     * The near-duplicate key: NFKC, case-folded, every run of non-letters/digits turned into one
     * space. "Refund please!!" and "refund   PLEASE" share a key.
     */
    public static String dedupKey(String s) {
        String t = Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(java.util.Locale.ROOT);
        return NOT_WORD.matcher(t).replaceAll(" ").strip();
    }
}
