package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's {@code str.split()} and {@code str.strip()} with no argument, which the reference
 * implementations (sacreBLEU, rouge-score) use: they split on Unicode whitespace as Python defines
 * it ({@code str.isspace}), which differs from {@link Character#isWhitespace} in counting the
 * no-break spaces (U+00A0, U+2007, U+202F) and NEL (U+0085) as whitespace.
 */
final class PyText {
    private PyText() {
    }

    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00A0' || c == '\u2007' || c == '\u202F' || c == '\u0085';
    }

    /** {@code s.split()}: the runs of non-whitespace, in order. */
    static List<String> split(String s) {
        var out = new ArrayList<String>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** {@code s.rstrip()}. */
    static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }
}
