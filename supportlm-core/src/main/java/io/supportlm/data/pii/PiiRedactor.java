package io.supportlm.data.pii;

import java.math.BigInteger;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces personal data in free text with typed placeholders ({@code [EMAIL]}, {@code [PHONE]}, ...).
 * Thread-safe and stateless after construction, so the server can share one instance.
 *
 * <p>Each kind is a candidate regex plus a validator (checksums, issuer prefixes, context), because
 * support text is full of look-alikes that must survive: order numbers, dates, prices, version
 * strings. Kinds run in {@link PiiKind} order (IPv6 before IPv4, so an
 * embedded IPv4 tail stays part of its address), so a URL with credentials is not half-eaten as an
 * e-mail address, and placeholders (which hold no digits) are never matched again.
 */
public final class PiiRedactor {
    private final Set<PiiKind> enabled;
    private final List<Detector> detectors;

    /** A redactor for the given kinds. */
    public PiiRedactor(Set<PiiKind> enabled) {
        this.enabled = enabled.isEmpty() ? EnumSet.noneOf(PiiKind.class) : EnumSet.copyOf(enabled);
        this.detectors = DETECTORS.stream().filter(d -> this.enabled.contains(d.kind)).toList();
    }

    /** A redactor for every kind. */
    public static PiiRedactor all() {
        return new PiiRedactor(EnumSet.allOf(PiiKind.class));
    }

    public Set<PiiKind> enabledKinds() {
        return EnumSet.copyOf(enabled.isEmpty() ? EnumSet.noneOf(PiiKind.class) : enabled);
    }

    public Redaction redact(String text) {
        Map<PiiKind, Integer> counts = new EnumMap<>(PiiKind.class);
        if (text == null || text.isEmpty()) {
            return new Redaction(text, counts);
        }
        String current = text;
        for (Detector d : detectors) {
            Matcher m = d.pattern.matcher(current);
            StringBuilder out = null;
            int last = 0;
            while (m.find()) {
                if (!d.validator.accept(current, m)) {
                    continue;
                }
                if (out == null) {
                    out = new StringBuilder(current.length());
                }
                out.append(current, last, m.start(d.group)).append(d.kind.placeholder());
                last = m.end(d.group);
                counts.merge(d.kind, 1, Integer::sum);
            }
            if (out != null) {
                out.append(current, last, current.length());
                current = out.toString();
            }
        }
        return new Redaction(current, counts);
    }

    // ---- detectors -----------------------------------------------------------------------------

    private interface Validator {
        boolean accept(String text, Matcher m);
    }

    private record Detector(PiiKind kind, Pattern pattern, int group, Validator validator) {}

    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)[?&#](?:access_?token|refresh_?token|id_?token|token|api_?key|apikey|key|secret|client_secret|password|passwd|pwd|auth|sig|signature|session|sessionid|sid|code)=[^&#\\s]{4,}");

    private static final Pattern NUMBERISH_CONTEXT = Pattern.compile(
            "(?i)(?:order|invoice|ticket|case|ref(?:erence)?|tracking|sku|item|model|serial|account|acct|po|id|no\\.?|number|#)\\W{0,3}$");

    private static final Pattern ORDER_CONTEXT = Pattern.compile(
            "(?i)(?:order|invoice|ticket|case|tracking|sku|serial|ref(?:erence)?)\\W{0,3}(?:no\\.?|number|id)?\\W{0,3}$|#\\s*$");

    private static final Pattern VERSION_CONTEXT = Pattern.compile("(?i)(?:version|ver\\.?|v|build|release|firmware|app)\\s*$");

    private static final List<Detector> DETECTORS = List.of(
            new Detector(PiiKind.CREDENTIAL_URL,
                    Pattern.compile("(?i)\\b(?:https?|ftp|sftp|ssh|git|wss?|postgres(?:ql)?|mysql|mongodb(?:\\+srv)?|redis|amqp)://[^\\s<>\"']+"),
                    0, (t, m) -> {
                        String url = m.group();
                        int schemeEnd = url.indexOf("://") + 3;
                        int hostEnd = indexOfAny(url, schemeEnd, "/?#");
                        String authority = url.substring(schemeEnd, hostEnd < 0 ? url.length() : hostEnd);
                        return authority.contains("@") || SECRET_PARAM.matcher(url).find();
                    }),
            new Detector(PiiKind.EMAIL,
                    Pattern.compile("(?<![\\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\\.[A-Za-z]{2,24}\\b"),
                    0, (t, m) -> true),
            new Detector(PiiKind.IBAN,
                    Pattern.compile("\\b[A-Z]{2}\\d{2}(?:[ ]?[A-Z0-9]){11,30}\\b"),
                    0, (t, m) -> validIban(m.group())),
            new Detector(PiiKind.CARD,
                    Pattern.compile("(?<![\\w#.-])\\d(?:[ -]?\\d){12,18}(?![\\w-]|\\.\\d)"),
                    0, (t, m) -> validCard(m.group()) && !precededBy(t, m.start(), ORDER_CONTEXT)),
            new Detector(PiiKind.NATIONAL_ID,
                    Pattern.compile("(?<![\\w-])(?:(?!000|666|9\\d\\d)\\d{3}-(?!00)\\d{2}-(?!0000)\\d{4}"
                            + "|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D])(?![\\w-])"),
                    0, (t, m) -> !precededBy(t, m.start(), ORDER_CONTEXT)),
            new Detector(PiiKind.IP_ADDRESS,
                    Pattern.compile("(?<![\\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\\d{1,3}\\.){3}\\d{1,3})?(?![\\w:])"),
                    0, (t, m) -> validIpv6(m.group())),
            new Detector(PiiKind.IP_ADDRESS,
                    Pattern.compile("(?<![\\w.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\w]|\\.\\d)"),
                    0, (t, m) -> !precededBy(t, m.start(), VERSION_CONTEXT)),
            new Detector(PiiKind.PHONE,
                    Pattern.compile("(?<![\\w+#$€£¥/.,-])(\\+\\d{1,3}[ .-]?)?(\\(\\d{1,4}\\)[ .-]?)?\\d{1,4}(?:[ .-]\\d{2,8}){1,4}(?![\\w/%]|[.,]\\d|-)"),
                    0, PiiRedactor::plausiblePhone));

    private static int indexOfAny(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static boolean precededBy(String text, int start, Pattern context) {
        int from = Math.max(0, start - 24);
        return context.matcher(text.substring(from, start)).find();
    }

    /** ISO 13616: move the first four characters to the end, letters to 10..35, value mod 97 is 1. */
    static boolean validIban(String candidate) {
        String iban = candidate.replace(" ", "").toUpperCase(Locale.ROOT);
        if (iban.length() < 15 || iban.length() > 34) {
            return false;
        }
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        StringBuilder digits = new StringBuilder();
        for (char c : rearranged.toCharArray()) {
            if (Character.isDigit(c)) {
                digits.append(c);
            } else if (c >= 'A' && c <= 'Z') {
                digits.append(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return new BigInteger(digits.toString()).mod(BigInteger.valueOf(97)).intValue() == 1;
    }

    /** Card: a known issuer range with its lengths, and the Luhn checksum. */
    static boolean validCard(String candidate) {
        String d = candidate.replaceAll("[ -]", "");
        int n = d.length();
        if (n < 13 || n > 19 || d.chars().distinct().count() == 1) {
            return false;
        }
        int p2 = Integer.parseInt(d.substring(0, 2));
        int p4 = Integer.parseInt(d.substring(0, 4));
        int p3 = Integer.parseInt(d.substring(0, 3));
        boolean issuer = (d.charAt(0) == '4' && (n == 13 || n == 16 || n == 19))                // Visa
                || ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16              // Mastercard
                || (p2 == 34 || p2 == 37) && n == 15                                              // Amex
                || (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649)) && n >= 16                // Discover
                || (p4 >= 3528 && p4 <= 3589) && n >= 16                                          // JCB
                || (p2 == 36 || p2 == 38 || (p3 >= 300 && p3 <= 305)) && n >= 14                  // Diners
                || p2 == 62 && n >= 16;                                                           // UnionPay
        return issuer && luhn(d);
    }

    static boolean luhn(String digits) {
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int v = digits.charAt(i) - '0';
            if (dbl) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }

    /** Eight 16-bit groups, or fewer with exactly one "::"; an IPv4 tail counts as two groups. */
    static boolean validIpv6(String s) {
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        if (doubleColon < 0 && (s.startsWith(":") || s.endsWith(":"))) {
            return false;
        }
        String[] parts = s.split(":", -1);
        int groups = 0;
        boolean hasLetterOrZeroGroup = false;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty()) {
                continue;
            }
            if (p.contains(".")) {
                if (i != parts.length - 1) {
                    return false;
                }
                groups += 2;
            } else if (p.length() <= 4) {
                groups++;
                hasLetterOrZeroGroup |= !p.chars().allMatch(Character::isDigit);
            } else {
                return false;
            }
        }
        if (doubleColon >= 0) {
            // "::" alone or with a few digit-only groups is too ambiguous (e.g. "10::30") unless it is loopback-like.
            // "::" alone is no address worth hiding (and appears in prose); digit-only groups like "10::30" are ambiguous.
            return groups >= 1 && groups < 8 && (hasLetterOrZeroGroup || groups == 1 || s.contains("."));
        }
        return groups == 8;
    }

    private static final Pattern DATE_LIKE = Pattern.compile(
            "^(?:\\d{4}[-.]\\d{1,2}[-.]\\d{1,2}|\\d{1,2}[-.]\\d{1,2}[-.]\\d{2,4})$");
    private static final Pattern PHONE_CONTEXT = Pattern.compile(
            "(?i)(?:phone|call|tel(?:ephone)?|mobile|cell|fax|whatsapp|sms|text me|reach me|contact|number)\\W{0,12}$");

    /**
     * A phone number: 7 to 15 digits (E.164 allows 15). With a leading {@code +} or a bracketed area
     * code that is enough; otherwise it must look like a national number (10-11 digits grouped like
     * 415-555-0132 or 020 7946 0958), or follow a word such as "call" or "phone". Dates, prices and
     * numbers after "order", "invoice", "#" never count.
     */
    private static boolean plausiblePhone(String text, Matcher m) {
        String s = m.group();
        int digits = (int) s.chars().filter(Character::isDigit).count();
        if (digits < 7 || digits > 15 || DATE_LIKE.matcher(s).matches()) {
            return false;
        }
        if (precededBy(text, m.start(), NUMBERISH_CONTEXT) && !precededBy(text, m.start(), PHONE_CONTEXT)) {
            return false;
        }
        boolean international = m.group(1) != null;
        boolean areaCode = m.group(2) != null;
        if (international || areaCode) {
            return true;
        }
        if (precededBy(text, m.start(), PHONE_CONTEXT)) {
            return digits >= 7;
        }
        if (s.contains(".") && !s.matches("\\d{3}\\.\\d{3}\\.\\d{4}")) {
            return false; // dotted groups are versions or amounts unless they are US-style 415.555.0132
        }
        return (digits == 10 || digits == 11) && (s.matches("1?[ .-]?\\d{3}[ .-]\\d{3}[ .-]\\d{4}") || s.startsWith("0"));
    }
}
