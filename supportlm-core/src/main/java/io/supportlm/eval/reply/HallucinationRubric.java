package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic hallucination rubric: extract the specific claims an answer makes and count those
 * that nothing the model was given (the question, the context) nor the reference answer supports.
 * Heuristic by design (documented in docs/evaluation.md): it catches invented specifics — an order
 * number, a price, a date, a URL, an email, a phone number, a product or policy name — not wrong
 * reasoning in plain words.
 *
 * <p>Extraction, in this order; a span taken by an earlier kind is not matched again:
 * <ol>
 *   <li>{@code PLACEHOLDER}: Bitext-style template slots, {@code {{Order Number}}}</li>
 *   <li>{@code URL}: {@code http(s)://…} or {@code www.…} (trailing punctuation dropped)</li>
 *   <li>{@code EMAIL}: {@code name@domain.tld}</li>
 *   <li>{@code MONEY}: a currency sign before a number ({@code $1,299.00}, {@code € 5}) or a
 *       currency word/code after it ({@code 20 dollars}, {@code 15 EUR})</li>
 *   <li>{@code DATE}: ISO {@code 2024-03-01}, {@code 3/1/2024}, month names with a day
 *       ({@code March 3}, {@code 3rd of March 2024}), or a month name with a year</li>
 *   <li>{@code PHONE}: digit runs with separators holding 7–15 digits ({@code +1 (555) 010-2030})</li>
 *   <li>{@code NUMBER}: any other number, including percentages; list enumerators at a line start
 *       ({@code "1. "}, {@code "2) "}) are formatting, not claims</li>
 *   <li>{@code NAME}: two or more consecutive capitalised words ({@code Premium Protection Plan},
 *       {@code Order Tracking Portal}; {@code of}, {@code and}, {@code for}, {@code the}, {@code &}
 *       may join them); the first word of a sentence and common openers ({@code I}, {@code Please},
 *       {@code Thank}, …) are not part of a name</li>
 * </ol>
 *
 * <p>Support: placeholders, URLs, emails and names are supported when the sources contain them
 * (case-insensitive, whitespace collapsed; URLs without scheme, {@code www.} and trailing slash);
 * phone numbers when the sources contain the same digits; numbers and money when the same value
 * (thousands separators and trailing decimal zeros ignored) occurs as a number in the sources;
 * dates when every number in them occurs in the sources and their month name, if any, does too.
 */
public final class HallucinationRubric {
    /** An answer's claims and the unsupported ones among them. */
    public record Result(List<Claim> claims, List<Claim> unsupported) {
        public Result {
            claims = List.copyOf(claims);
            unsupported = List.copyOf(unsupported);
        }

        public boolean hallucinated() {
            return !unsupported.isEmpty();
        }
    }

    private static final String MONTHS = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
            + "|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{[^{}]+}}");
    private static final Pattern URL = Pattern.compile("(?i)\\b(?:https?://|www\\.)[^\\s<>\"'()\\[\\]{}]+");
    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}");
    private static final String AMOUNT = "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?";
    private static final Pattern MONEY = Pattern.compile("(?:[$€£¥]\\s?(?:" + AMOUNT + "))"
            + "|(?:(?<![\\w.])(?:" + AMOUNT + ")\\s?(?:USD|EUR|GBP|dollars?|euros?|pounds?|cents?)\\b)");
    private static final Pattern DATE = Pattern.compile("\\b\\d{4}-\\d{1,2}-\\d{1,2}\\b"
            + "|\\b\\d{1,2}/\\d{1,2}/\\d{2,4}\\b"
            + "|\\b" + MONTHS + "\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b"
            + "|\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?" + MONTHS + "(?:,?\\s+\\d{4})?\\b"
            + "|\\b" + MONTHS + "\\s+\\d{4}\\b");
    private static final Pattern PHONE = Pattern.compile("(?<![\\w.])\\+?\\(?\\d[\\d\\s().-]{5,}\\d(?![\\w])");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])\\d+(?:[.,]\\d+)*%?(?![\\w])");
    private static final Pattern LIST_ENUMERATOR = Pattern.compile("(?m)^[ \\t]*\\d{1,2}[.)](?=\\s)");
    private static final Pattern WORD = Pattern.compile("[A-Za-z][A-Za-z0-9'&-]*|&");
    private static final Pattern MONTH_NAME = Pattern.compile("(?i)\\b" + MONTHS + "\\b");
    private static final Pattern NUMERAL = Pattern.compile("\\d+(?:[.,]\\d+)*");
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern DIGIT_RUN = Pattern.compile("\\+?\\(?\\d[\\d\\s().-]*\\d|\\d");
    private static final Set<String> CONNECTORS = Set.of("of", "and", "for", "the", "&");
    private static final Set<String> OPENERS = Set.of("I", "I'm", "I'll", "I've", "I'd", "Please", "Thank", "Thanks", "Dear", "Hi",
            "Hello", "Yes", "No", "We", "We're", "We'll", "Our", "You", "You're", "Your", "If", "To", "The", "This", "That", "It",
            "Once", "Then", "After", "Before", "Rest", "Sure", "Certainly", "Absolutely", "Additionally", "However", "Also",
            "Feel", "Let", "Kindly", "Don't", "Do", "Is", "In", "On", "For", "And", "Or", "A", "An");

    private HallucinationRubric() {
    }

    /** Checks {@code answer} against what supports it (question, context, reference; nulls ignored). */
    public static Result check(String answer, String... sources) {
        var joined = new StringBuilder();
        for (String s : sources) {
            if (s != null) {
                joined.append(s).append('\n');
            }
        }
        Support support = new Support(joined.toString());
        List<Claim> claims = extract(answer);
        var unsupported = new ArrayList<Claim>();
        for (Claim c : claims) {
            if (!support.supports(c)) {
                unsupported.add(c);
            }
        }
        return new Result(claims, unsupported);
    }

    /** The claims in {@code text}, in order of position. */
    public static List<Claim> extract(String text) {
        boolean[] taken = new boolean[text.length()];
        var claims = new ArrayList<Claim>();
        // List enumerators are formatting: mark them taken so they are never numbers.
        Matcher en = LIST_ENUMERATOR.matcher(text);
        while (en.find()) {
            mark(taken, en.start(), en.end());
        }
        find(text, PLACEHOLDER, Claim.Kind.PLACEHOLDER, taken, claims);
        find(text, URL, Claim.Kind.URL, taken, claims);
        find(text, EMAIL, Claim.Kind.EMAIL, taken, claims);
        find(text, MONEY, Claim.Kind.MONEY, taken, claims);
        find(text, DATE, Claim.Kind.DATE, taken, claims);
        Matcher phone = PHONE.matcher(text);
        while (phone.find()) {
            String digits = phone.group().replaceAll("\\D", "");
            if (digits.length() >= 7 && digits.length() <= 15 && free(taken, phone.start(), phone.end())) {
                add(text, Claim.Kind.PHONE, phone.start(), phone.end(), taken, claims);
            }
        }
        find(text, NUMBER, Claim.Kind.NUMBER, taken, claims);
        names(text, taken, claims);
        claims.sort(Comparator.comparingInt(Claim::start));
        return claims;
    }

    private static void find(String text, Pattern p, Claim.Kind kind, boolean[] taken, List<Claim> out) {
        Matcher m = p.matcher(text);
        while (m.find()) {
            int end = m.end();
            if (kind == Claim.Kind.URL) {
                while (end > m.start() && ".,;:!?".indexOf(text.charAt(end - 1)) >= 0) {
                    end--; // sentence punctuation after a link is not part of it
                }
            }
            if (free(taken, m.start(), end)) {
                add(text, kind, m.start(), end, taken, out);
            }
        }
    }

    /** Runs of capitalised words (joined by connectors) of at least two words, sentence openers dropped. */
    private static void names(String text, boolean[] taken, List<Claim> out) {
        Matcher w = WORD.matcher(text);
        var run = new ArrayList<int[]>(); // [start, end] of each word in the current run
        int lastEnd = -1;
        while (w.find()) {
            String word = w.group();
            boolean adjacent = lastEnd >= 0 && onlySpaces(text, lastEnd, w.start());
            boolean free = free(taken, w.start(), w.end());
            boolean capital = Character.isUpperCase(word.charAt(0));
            boolean connector = CONNECTORS.contains(word) && !run.isEmpty();
            if (free && adjacent && (capital || connector) && !run.isEmpty()) {
                run.add(new int[] {w.start(), w.end()});
            } else {
                flush(text, run, taken, out);
                run.clear();
                if (free && capital) {
                    run.add(new int[] {w.start(), w.end()});
                }
            }
            lastEnd = w.end();
        }
        flush(text, run, taken, out);
    }

    private static void flush(String text, List<int[]> run, boolean[] taken, List<Claim> out) {
        int from = 0;
        int to = run.size();
        while (to > from && CONNECTORS.contains(text.substring(run.get(to - 1)[0], run.get(to - 1)[1]))) {
            to--; // a name does not end with "of" or "and"
        }
        while (from < to && (sentenceStart(text, run.get(from)[0])
                || OPENERS.contains(text.substring(run.get(from)[0], run.get(from)[1]))
                || CONNECTORS.contains(text.substring(run.get(from)[0], run.get(from)[1])))) {
            from++;
        }
        int words = 0;
        for (int i = from; i < to; i++) {
            if (!CONNECTORS.contains(text.substring(run.get(i)[0], run.get(i)[1]))) {
                words++;
            }
        }
        if (words >= 2) {
            add(text, Claim.Kind.NAME, run.get(from)[0], run.get(to - 1)[1], taken, out);
        }
    }

    /** True when the word at {@code pos} starts the text, a line, a sentence, a quote or a list item. */
    private static boolean sentenceStart(String text, int pos) {
        int i = pos - 1;
        while (i >= 0 && (text.charAt(i) == ' ' || text.charAt(i) == '\t' || text.charAt(i) == '"' || text.charAt(i) == '\''
                || text.charAt(i) == '*' || text.charAt(i) == '(')) {
            i--;
        }
        if (i < 0) {
            return true;
        }
        char c = text.charAt(i);
        return c == '.' || c == '!' || c == '?' || c == ':' || c == '\n' || c == ')' || c == '-';
    }

    private static boolean onlySpaces(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text.charAt(i) != ' ') {
                return false;
            }
        }
        return to - from <= 1;
    }

    private static boolean free(boolean[] taken, int start, int end) {
        for (int i = start; i < end; i++) {
            if (taken[i]) {
                return false;
            }
        }
        return end > start;
    }

    private static void mark(boolean[] taken, int start, int end) {
        for (int i = start; i < end; i++) {
            taken[i] = true;
        }
    }

    private static void add(String text, Claim.Kind kind, int start, int end, boolean[] taken, List<Claim> out) {
        mark(taken, start, end);
        out.add(new Claim(kind, text.substring(start, end), start, end));
    }

    /** What the sources contain, normalized once per check. */
    private static final class Support {
        private final String text;       // lowercase, whitespace collapsed
        private final String digitsOnly; // every digit of the sources, in order, with separators between runs
        private final Set<String> numbers = new HashSet<>();

        Support(String sources) {
            this.text = normalize(sources);
            Matcher m = NUMERAL.matcher(sources);
            while (m.find()) {
                numbers.add(number(m.group()));
                // "1,000" may also be two numbers in a list ("1,000" is ambiguous); keep the parts too.
                for (String part : m.group().split("[.,]")) {
                    numbers.add(number(part));
                }
            }
            var digits = new StringBuilder();
            Matcher runs = DIGIT_RUN.matcher(sources);
            while (runs.find()) {
                digits.append('|').append(runs.group().replaceAll("\\D", ""));
            }
            this.digitsOnly = digits.append('|').toString();
        }

        boolean supports(Claim c) {
            return switch (c.kind()) {
                case PLACEHOLDER, EMAIL, NAME -> text.contains(normalize(c.text()));
                case URL -> text.contains(url(c.text()));
                case PHONE -> digitsOnly.contains("|" + c.text().replaceAll("\\D", "") + "|");
                case NUMBER, MONEY -> {
                    Matcher m = NUMERAL.matcher(c.text());
                    yield m.find() && numbers.contains(number(m.group()));
                }
                case DATE -> {
                    Matcher n = DIGITS.matcher(c.text());
                    boolean all = true;
                    while (n.find()) {
                        all &= numbers.contains(number(n.group()));
                    }
                    Matcher month = MONTH_NAME.matcher(c.text());
                    yield all && (!month.find() || text.contains(month.group().toLowerCase(Locale.ROOT)));
                }
            };
        }

        private static String normalize(String s) {
            return s.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
        }

        private static String url(String u) {
            return normalize(u).replaceFirst("^https?://", "").replaceFirst("^www\\.", "").replaceFirst("/+$", "");
        }

        /** A number's value as text: no thousands separators, no trailing decimal zeros, no leading zeros. */
        static String number(String s) {
            String n = s.replaceAll(",(?=\\d{3}(?:\\D|$))", "");
            if (n.matches("\\d+\\.\\d+")) {
                n = n.replaceFirst("0+$", "").replaceFirst("\\.$", "");
            }
            n = n.replaceFirst("^0+(?=\\d)", "");
            return n;
        }
    }
}
