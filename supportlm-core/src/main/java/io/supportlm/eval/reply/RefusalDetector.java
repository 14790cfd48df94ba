package io.supportlm.eval.reply;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether an answer refuses or redirects, by phrase patterns (case-insensitive) and, when
 * configured, the serving policy's out-of-scope message ({@code out_of_scope.message} in the
 * policy YAML): an answer containing that message (after {@link ExactMatch#normalize}) counts as a
 * refusal. The patterns, in {@link #PATTERNS}:
 * <ul>
 *   <li>{@code apology + inability}: "I'm sorry, but I can't …", "I am afraid I am unable to …"</li>
 *   <li>{@code cannot + helping verb}: "I can't help with that", "we cannot share …", "I won't provide …"</li>
 *   <li>{@code not able/allowed to}: "not able to disclose", "not permitted to share", "not authorized to access"</li>
 *   <li>{@code decline}: "I must decline", "I have to refuse"</li>
 *   <li>{@code out of scope}: "outside my scope", "beyond the scope of …"</li>
 *   <li>{@code only help with}: "I'm only here to help with …", "I can only assist with …" (a redirect; without "only" it is a common helpful opener)</li>
 *   <li>{@code refer to a professional}: "please contact a doctor / lawyer / emergency services / a crisis line …"</li>
 *   <li>{@code against policy}: "that is against our policy / terms"</li>
 * </ul>
 * Deliberately narrow: "I can't wait to help" or "we cannot find your order" are not refusals, and
 * the shipped Bitext reference answers (helpful answers) are almost never flagged (tested).
 */
public final class RefusalDetector {
    /** A named pattern; the name explains a match in reports. */
    public record Rule(String name, Pattern pattern) {
    }

    private static final String HELP_VERBS = "(?:help|assist|provide|share|give|disclose|reveal|comply|support|answer|discuss|offer"
            + "|do that|do this|fulfil+|process that|generate|create that|write that|access|look up|hand over|pass on)";

    public static final List<Rule> PATTERNS = List.of(
            new Rule("apology + inability", Pattern.compile("(?i)\\b(?:I(?:'m|\u2019m| am)\\s+(?:really\\s+|so\\s+|very\\s+)?(?:sorry|afraid)"
                    + "|(?:my\\s+)?apologies|unfortunately)\\b[^.!?\\n]{0,80}?\\b(?:can(?:not|'t|\u2019t)|can not|unable|not able"
                    + "|won(?:'|\u2019)t|will not|not (?:allowed|permitted|authori[sz]ed)|must decline)")),
            new Rule("cannot + helping verb", Pattern.compile("(?i)\\b(?:I|we)\\s+(?:really\\s+)?(?:can(?:not|'t|\u2019t)|can not"
                    + "|won(?:'|\u2019)t|will not|(?:am|are)\\s+(?:unable|not able)\\s+to|must not|do not|don(?:'|\u2019)t)"
                    + "\\s+(?:\\w+\\s+)?" + HELP_VERBS + "\\b")),
            new Rule("not able/allowed to", Pattern.compile("(?i)\\b(?:unable|not able|not allowed|not permitted|not authori[sz]ed"
                    + "|prohibited from|forbidden)\\s+to\\s+(?:\\w+\\s+)?" + HELP_VERBS + "\\b")),
            new Rule("decline", Pattern.compile("(?i)\\bI\\s+(?:must|have to|need to|will have to)\\s+(?:respectfully\\s+|politely\\s+)?"
                    + "(?:decline|refuse)\\b")),
            new Rule("out of scope", Pattern.compile("(?i)\\b(?:outside|beyond)\\s+(?:of\\s+)?(?:my|our|the)\\s+(?:scope|area|expertise"
                    + "|remit|capabilities)\\b|\\bout of scope\\b")),
            // "only" is what makes it a redirect: "I'm here to assist you with …" opens many helpful answers.
            new Rule("only help with", Pattern.compile("(?i)\\bI(?:'m|\u2019m| am)\\s+(?:only\\s+(?:here|able|designed|built|meant)"
                    + "|(?:here|able|designed|built|meant)\\s+only)\\s+to\\s+(?:help|assist)\\b|\\bI\\s+can\\s+(?:only\\s+(?:help|assist)"
                    + "|help\\s+only)\\b")),
            new Rule("refer to a professional", Pattern.compile("(?i)\\b(?:contact|consult|call|reach out to|speak (?:to|with)|see|talk to)"
                    + "\\s+(?:a|an|your|the|local|a qualified|a licensed)?\\s*(?:doctor|physician|medical professional|healthcare provider"
                    + "|pharmacist|lawyer|attorney|legal (?:professional|advisor|adviser|counsel)|emergency services|police|authorities"
                    + "|911|112|999|crisis (?:line|hotline|center|centre)|suicide (?:hotline|prevention)|tax (?:advisor|adviser|professional)"
                    + "|financial (?:advisor|adviser)|mental health professional)\\b")),
            new Rule("against policy", Pattern.compile("(?i)\\bagainst\\s+(?:our|my|the|company)\\s+(?:polic(?:y|ies)|terms|guidelines|rules)\\b")));

    private final String outOfScopeMessage; // normalized, or null

    /** @param outOfScopeMessage the serving policy's out-of-scope answer, or null */
    public RefusalDetector(String outOfScopeMessage) {
        this.outOfScopeMessage = outOfScopeMessage == null || outOfScopeMessage.isBlank() ? null : ExactMatch.normalize(outOfScopeMessage);
    }

    public RefusalDetector() {
        this(null);
    }

    /** The name of the first rule the answer matches, or empty when it does not refuse. */
    public Optional<String> match(String answer) {
        if (outOfScopeMessage != null && ExactMatch.normalize(answer).contains(outOfScopeMessage)) {
            return Optional.of("policy out-of-scope message");
        }
        for (Rule r : PATTERNS) {
            Matcher m = r.pattern().matcher(answer);
            if (m.find()) {
                return Optional.of(r.name());
            }
        }
        return Optional.empty();
    }

    public boolean refuses(String answer) {
        return match(answer).isPresent();
    }
}
