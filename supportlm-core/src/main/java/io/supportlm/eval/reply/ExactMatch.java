package io.supportlm.eval.reply;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Exact match after normalization, as the SQuAD evaluation script's {@code normalize_answer}:
 * lowercase, punctuation removed (here every Unicode punctuation or symbol character, a superset of
 * the script's ASCII {@code string.punctuation}), the articles {@code a}, {@code an}, {@code the} removed, whitespace
 * collapsed. Text is NFKC-normalized first so that, for example, a no-break space or a full-width
 * letter does not break a match. Useful for short, templated answers; long free-text replies
 * rarely match exactly, which is why ROUGE-L and BLEU sit beside it.
 */
public final class ExactMatch {
    private static final Pattern PUNCTUATION = Pattern.compile("\\p{P}|\\p{S}");
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    private ExactMatch() {
    }

    public static String normalize(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        s = PUNCTUATION.matcher(s).replaceAll("");
        s = ARTICLES.matcher(s).replaceAll(" ");
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    public static boolean matches(String reference, String answer) {
        return normalize(reference).equals(normalize(answer));
    }
}
