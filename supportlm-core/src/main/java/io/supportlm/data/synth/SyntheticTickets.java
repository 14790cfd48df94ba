package io.supportlm.data.synth;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.TextNormalizer;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates realistic, labelled support tickets for demos and tests.
 *
 * <p>Labels follow from the text, but not trivially: each of 23 categories has several paraphrased
 * subjects and openings, queues share vocabulary (orders, refunds, accounts appear everywhere),
 * a ticket may mention a second issue from another queue, and priority, actionability,
 * completeness and resolution depend on cues (urgency phrases, missing order numbers) rather than
 * on the category alone. The first {@code k} tickets do not depend on {@code count}.
 *
 * <p>Labels: queue, category, priority (low, medium, high, urgent), is_actionable and
 * info_complete ("true"/"false"), resolution; plus a reference agent answer.
 */
public final class SyntheticTickets {
    public static final List<String> PRIORITIES = List.of("low", "medium", "high", "urgent");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)}");
    private static final DateTimeFormatter LONG_DATE = DateTimeFormatter.ofPattern("MMMM d", Locale.ENGLISH);
    private static final DateTimeFormatter US_DATE = DateTimeFormatter.ofPattern("MM/dd/yyyy", Locale.ENGLISH);

    /** What an agent asks for when a ticket of the queue lacks it. */
    private static final Map<String, String> MISSING_INFO = Map.of(
            "billing", "your order or invoice number and the date of the charge",
            "tech_support", "the app version, your device model and any error message you see",
            "account", "the email address registered on the account",
            "shipping", "your order number and the email address used for the purchase",
            "sales", "how many seats or units you need and your timeline",
            "general", "a few more details about your request");

    /** Categories that a second team also handles. */
    private static final Map<String, String> SECOND_QUEUE = Map.of(
            "refund_request", "shipping", "payment_failed", "tech_support", "account_locked", "tech_support",
            "upgrade_plan", "billing", "complaint", "billing", "change_address", "account");

    private static final List<String> GENERIC_VAGUE = List.of("I don't have the details at hand right now.",
            "Sorry, I can't find the confirmation.", "I'm not sure about the details.", "Can you check on your side?");

    private final SynthConfig config;
    private final TicketTemplates t = TicketTemplates.load();
    private final Map<String, List<TicketTemplates.Category>> byQueue = new LinkedHashMap<>();

    public SyntheticTickets(SynthConfig config) {
        this.config = config;
        for (TicketTemplates.Category c : t.categories()) {
            byQueue.computeIfAbsent(c.queue(), k -> new ArrayList<>()).add(c);
        }
    }

    /** Every category name, by queue. */
    public Map<String, List<String>> categories() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        byQueue.forEach((q, cs) -> m.put(q, cs.stream().map(TicketTemplates.Category::name).toList()));
        return m;
    }

    /** Every resolution a ticket can get. */
    public List<String> resolutions() {
        List<String> r = new ArrayList<>(t.answers().keySet());
        r.add("information_request");
        return r.stream().distinct().sorted().toList();
    }

    public List<SupportRecord> generate() {
        return generate(i -> {});
    }

    /** @param progress called with the number of tickets made so far */
    public List<SupportRecord> generate(IntConsumer progress) {
        SplittableRandom rng = new SplittableRandom(config.seed());
        List<SupportRecord> out = new ArrayList<>(config.count());
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < config.count(); i++) {
            // Short chat tickets can coincide; draw again (deterministically) so the set has no near-duplicates.
            SupportRecord ticket = ticket(i, rng.split());
            for (int attempt = 0; attempt < 20 && !seen.add(TextNormalizer.dedupKey(ticket.mainText())); attempt++) {
                ticket = ticket(i, rng.split());
            }
            out.add(ticket);
            progress.accept(i + 1);
        }
        return out;
    }

    private SupportRecord ticket(int index, SplittableRandom rng) {
        String queue = pickQueue(rng);
        TicketTemplates.Category cat = pick(rng, byQueue.get(queue));
        Map<String, String> slots = slots(rng);
        boolean complete = rng.nextDouble() >= config.incompleteRate();
        boolean chat = rng.nextDouble() < config.chatRate();
        boolean noisy = rng.nextDouble() < config.noiseRate();
        List<String> tags = new ArrayList<>();
        tags.add(chat ? "channel=chat" : "channel=email");

        List<String> sentences = new ArrayList<>();
        if (!chat) {
            add(sentences, pick(rng, t.greetings()));
        }
        // Three tickets in ten open vaguely, so the queue must be read from the details.
        sentences.add(rng.nextDouble() < 0.3 ? pick(rng, t.ambiguous()) : pick(rng, cat.openings()));
        sentences.add(pick(rng, complete ? cat.withInfo() : rng.nextBoolean() ? GENERIC_VAGUE : cat.withoutInfo()));
        // A wish for money back turns a damaged item into a refund: the text says which.
        boolean prefersRefund = cat.name().equals("damaged_item") && rng.nextDouble() < 0.3;
        if (prefersRefund) {
            sentences.add(pick(rng, List.of("I'd prefer my money back rather than a new one.",
                    "Please just refund me, I don't want a replacement.")));
        }
        if (rng.nextDouble() < 0.25) { // a second, minor issue from another queue
            List<String> others = byQueue.keySet().stream().filter(q -> !q.equals(queue)).toList();
            TicketTemplates.Category other = pick(rng, byQueue.get(pick(rng, others)));
            sentences.add(pick(rng, List.of("Also, ", "Unrelated, but ", "One more thing: ", "PS: "))
                    + lowerFirst(pick(rng, other.openings())));
        }
        int priority = PRIORITIES.indexOf(cat.basePriority());
        double u = rng.nextDouble();
        if (u < 0.2 && priority > 0) { // only real problems get urgent; questions about hours or prices do not
            sentences.add(pick(rng, t.urgent()));
            priority = Math.min(3, priority + (priority == 0 ? 2 : 1));
        } else if (u < 0.35) {
            add(sentences, pick(rng, t.relaxed()));
            priority = Math.max(0, priority - 1);
        }
        boolean actionable = !cat.name().equals("feedback");
        if (actionable && rng.nextDouble() < 0.06) {
            sentences.add(pick(rng, t.nonActionable()));
            actionable = false;
        }
        if (!actionable) {
            priority = 0;
        }
        if (noisy) {
            int afterGreeting = chat ? 0 : 1;
            sentences.add(afterGreeting + rng.nextInt(sentences.size() - afterGreeting + 1), pick(rng, t.noise()));
        }
        if (!chat) {
            add(sentences, pick(rng, t.closings()));
            sentences.add(slots.get("name"));
        }
        String body = fill(String.join(chat ? " " : "\n", sentences), slots);
        if (rng.nextDouble() < config.typoRate()) {
            body = typos(body, rng);
            tags.add("typos");
        }
        if (noisy) {
            if (rng.nextDouble() < 0.3) {
                body = body.toLowerCase(Locale.ROOT);
            }
            tags.add("noisy");
        }
        if (rng.nextDouble() < config.piiRate()) {
            body = withPii(body, rng, tags, chat);
        }
        String resolution = !actionable ? "no_action" : !complete ? "information_request"
                : prefersRefund ? "refund"
                : priority == 3 && (cat.queue().equals("tech_support") || cat.name().equals("complaint")) ? "escalate"
                : cat.resolution();
        // Some issues sit between two teams; real routing splits them too (e.g. failed payments
        // go to billing or to tech support). Three in ten such tickets go to the other team.
        String second = SECOND_QUEUE.get(cat.name());
        boolean reroute = second != null && config.queueWeights().getOrDefault(second, 0.0) > 0 && rng.nextDouble() < 0.3;
        String routed = reroute ? second : queue;
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("queue", routed);
        labels.put("category", cat.name());
        labels.put("priority", PRIORITIES.get(priority));
        labels.put("is_actionable", Boolean.toString(actionable));
        labels.put("info_complete", Boolean.toString(complete));
        labels.put("resolution", resolution);
        slots.put("missing", MISSING_INFO.get(routed));
        String answer = fill(t.answers().get(resolution), slots);
        SupportRecord.Inputs inputs = chat ? SupportRecord.Inputs.ofText(body)
                : SupportRecord.Inputs.ofEmail(fill(subject(rng, cat), slots), body);
        String timestamp = Instant.parse("2024-01-01T00:00:00Z").plusSeconds(rng.nextLong(366L * 24 * 3600)).toString();
        return new SupportRecord("synth-%d-%05d".formatted(config.seed(), index), inputs,
                new SupportRecord.Outputs(labels, answer), new SupportRecord.Meta("synth", timestamp, tags));
    }

    private String subject(SplittableRandom rng, TicketTemplates.Category cat) {
        return rng.nextDouble() < 0.3 ? pick(rng, List.of("Help", "Question", "Problem", "Support request", "Urgent question", "Hello"))
                : pick(rng, cat.subjects());
    }

    private String pickQueue(SplittableRandom rng) {
        double total = config.queueWeights().values().stream().mapToDouble(Double::doubleValue).sum();
        double x = rng.nextDouble() * total;
        String last = null;
        for (String q : SynthConfig.QUEUES) { // fixed order: Map.copyOf has no stable order
            double w = config.queueWeights().getOrDefault(q, 0.0);
            if (w > 0) {
                last = q;
                if (x < w) {
                    return q;
                }
                x -= w;
            }
        }
        return last;
    }

    private Map<String, String> slots(SplittableRandom rng) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("name", pick(rng, t.names()));
        s.put("product", pick(rng, t.products()));
        char letter = (char) ('A' + rng.nextInt(6));
        s.put("order", switch (rng.nextInt(3)) {
            case 0 -> "#" + letter + "-" + (10000 + rng.nextInt(90000));
            case 1 -> "#" + (100000 + rng.nextInt(900000));
            default -> "order " + letter + (1000000 + rng.nextInt(9000000));
        });
        s.put("amount", money(rng));
        s.put("amount2", money(rng));
        LocalDate date = LocalDate.of(2024, 1, 1).plusDays(rng.nextInt(366));
        s.put("date", switch (rng.nextInt(4)) {
            case 0 -> date.toString();
            case 1 -> date.format(US_DATE);
            case 2 -> date.format(LONG_DATE);
            default -> pick(rng, List.of("yesterday", "last Monday", "two days ago", "last week"));
        });
        s.put("version", (rng.nextBoolean() ? "v" : "") + (1 + rng.nextInt(5)) + "." + rng.nextInt(12) + "." + rng.nextInt(10));
        s.put("device", pick(rng, t.devices()));
        s.put("plan", pick(rng, t.plans()));
        s.put("error", pick(rng, t.errors()));
        s.put("days", Integer.toString(3 + rng.nextInt(40)));
        s.put("carrier", pick(rng, t.carriers()));
        s.put("city", pick(rng, t.cities()));
        s.put("feature", pick(rng, t.features()));
        s.put("invoice", "INV-2024-" + String.format("%05d", rng.nextInt(100000)));
        return s;
    }

    private static String money(SplittableRandom rng) {
        String cents = String.format("%02d", rng.nextBoolean() ? 99 : rng.nextInt(100));
        int whole = rng.nextInt(10) == 0 ? 1000 + rng.nextInt(2000) : 5 + rng.nextInt(400);
        String w = whole >= 1000 ? String.format(Locale.ENGLISH, "%,d", whole) : Integer.toString(whole);
        return switch (rng.nextInt(4)) {
            case 0, 1 -> "$" + w + "." + cents;
            case 2 -> "€" + w + "." + cents;
            default -> w + "." + cents + " USD";
        };
    }

    private static String fill(String template, Map<String, String> slots) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = slots.get(m.group(1));
            if (v == null) {
                throw new IllegalStateException("template uses unknown slot {" + m.group(1) + "}: " + template);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Swaps, drops or doubles letters in some words; words with digits or symbols are left alone. */
    private static String typos(String text, SplittableRandom rng) {
        String[] words = text.split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.length() < 4 || !w.chars().allMatch(Character::isLetter) || rng.nextDouble() >= 0.12) {
                continue;
            }
            int p = 1 + rng.nextInt(w.length() - 2);
            words[i] = switch (rng.nextInt(3)) {
                case 0 -> w.substring(0, p) + w.charAt(p + 1) + w.charAt(p) + w.substring(p + 2);
                case 1 -> w.substring(0, p) + w.substring(p + 1);
                default -> w.substring(0, p) + w.charAt(p) + w.substring(p);
            };
        }
        return String.join(" ", words);
    }

    /** Adds one or two sentences of personal data and tags the kinds used ({@code pii=email}, ...). */
    private static String withPii(String body, SplittableRandom rng, List<String> tags, boolean chat) {
        tags.add("pii");
        int kinds = 1 + rng.nextInt(2);
        StringBuilder extra = new StringBuilder();
        List<String> used = new ArrayList<>();
        for (int k = 0; k < kinds; k++) {
            String kind = pick(rng, List.of("email", "phone", "card", "iban", "ip", "national_id"));
            if (used.contains(kind)) {
                continue;
            }
            used.add(kind);
            String first = pick(rng, List.of("maria", "john", "aisha", "chen", "lukas", "sofia"));
            String sentence = switch (kind) {
                case "email" -> pick(rng, List.of("You can reach me at %s.", "My email is %s.", "Please reply to %s instead."))
                        .formatted(first + (rng.nextBoolean() ? "." + pick(rng, List.of("lopez", "smith", "wang", "mueller")) : "")
                                + (rng.nextBoolean() ? Integer.toString(rng.nextInt(100)) : "") + "@"
                                + pick(rng, List.of("example.com", "mail.example.org", "example.net")));
                case "phone" -> pick(rng, List.of("Call me on %s.", "My phone number is %s.", "You can call me at %s."))
                        .formatted(phone(rng));
                case "card" -> pick(rng, List.of("The card on file is %s.", "My card number, in case you need it: %s."))
                        .formatted(group(luhnComplete(rng, "4", 16), 4));
                case "iban" -> pick(rng, List.of("My IBAN, if you need it: %s.", "Bank account (IBAN) %s."))
                        .formatted(group(germanIban(rng), 4));
                case "ip" -> pick(rng, List.of("I was logged in from %s.", "The router's address is %s."))
                        .formatted(rng.nextInt(4) == 0 ? "2001:db8:" + Integer.toHexString(1 + rng.nextInt(0xfff)) + "::" + (1 + rng.nextInt(99))
                                : "192.168." + rng.nextInt(256) + "." + (1 + rng.nextInt(254)));
                default -> "For verification, my SSN is %03d-%02d-%04d.".formatted(100 + rng.nextInt(565), 10 + rng.nextInt(89),
                        1000 + rng.nextInt(9000));
            };
            extra.append(chat ? " " : "\n").append(sentence);
            tags.add("pii=" + kind);
        }
        return body + extra;
    }

    private static String phone(SplittableRandom rng) {
        return switch (rng.nextInt(4)) {
            case 0 -> "+1 (415) 555-0%03d".formatted(rng.nextInt(200));
            case 1 -> "+44 20 7946 0%03d".formatted(rng.nextInt(1000));
            case 2 -> "+49 30 9018%04d".formatted(rng.nextInt(10000));
            default -> "617-555-0%03d".formatted(rng.nextInt(200));
        };
    }

    /** A number with the given prefix and length whose last digit makes the Luhn checksum valid. */
    static String luhnComplete(SplittableRandom rng, String prefix, int length) {
        StringBuilder sb = new StringBuilder(prefix);
        while (sb.length() < length - 1) {
            sb.append(rng.nextInt(10));
        }
        int sum = 0;
        for (int i = sb.length() - 1, pos = 0; i >= 0; i--, pos++) {
            int d = sb.charAt(i) - '0';
            if (pos % 2 == 0) { // these digits are doubled once the check digit is appended
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
        }
        return sb.append((10 - sum % 10) % 10).toString();
    }

    /** A German IBAN (DE, 18-digit BBAN) with correct ISO 13616 check digits. */
    static String germanIban(SplittableRandom rng) {
        StringBuilder bban = new StringBuilder();
        for (int i = 0; i < 18; i++) {
            bban.append(rng.nextInt(10));
        }
        // D=13, E=14; check = 98 - (BBAN + "DE00" as digits) mod 97
        int mod = new BigInteger(bban + "131400").mod(BigInteger.valueOf(97)).intValue();
        return "DE%02d%s".formatted(98 - mod, bban);
    }

    private static String group(String s, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i += n) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(s, i, Math.min(s.length(), i + n));
        }
        return sb.toString();
    }

    private static String lowerFirst(String s) {
        return s.isEmpty() || s.startsWith("I ") || s.startsWith("I'") ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static void add(List<String> sentences, String s) {
        if (!s.isEmpty()) {
            sentences.add(s);
        }
    }

    private static <T> T pick(SplittableRandom rng, List<T> items) {
        return items.get(rng.nextInt(items.size()));
    }
}
