package io.supportlm.server.policy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The policy file ({@code --policy policy.yaml}). Keys are snake_case; an unknown key is an error.
 *
 * <pre>{@code
 * redact_pii: [email, phone]        # or [all]; default: none
 * log_inputs: false                 # put the redacted input into the access log
 * escalation:
 *   - name: legal
 *     reason: Customer mentions legal action
 *     when: {keywords: [lawyer, lawsuit]}
 *   - name: outage
 *     reason: Service down
 *     when: {regex: "(?i)down for \\d+ (hours|days)"}
 *   - name: urgent
 *     reason: Classified urgent
 *     when: {label: {task: priority, in: [high], min_confidence: 0.6}}
 * priority:
 *   base: 10
 *   max: 100
 *   rules:
 *     - {when: {escalated: true}, add: 40}
 *     - {when: {keywords: [refund]}, add: 10}
 * out_of_scope:
 *   when: {keywords: [weather, recipe]}
 *   message: I can only help with questions about your account and our products.
 * }</pre>
 */
public record PolicyConfig(List<String> redactPii, Boolean logInputs, List<EscalationRule> escalation,
                           Priority priority, OutOfScope outOfScope) {
    public PolicyConfig {
        redactPii = redactPii == null ? List.of() : List.copyOf(redactPii);
        logInputs = logInputs != null && logInputs;
        escalation = escalation == null ? List.of() : List.copyOf(escalation);
        priority = priority == null ? new Priority(0, 100, List.of()) : priority;
        if (escalation.stream().map(EscalationRule::name).distinct().count() != escalation.size()) {
            throw new IllegalArgumentException("escalation rule names must be unique, got "
                    + escalation.stream().map(EscalationRule::name).collect(Collectors.joining(", ")));
        }
    }

    /** No redaction, no flags, priority 0, no guardrail. */
    public static PolicyConfig none() {
        return new PolicyConfig(List.of(), false, List.of(), null, null);
    }

    /**
     * What a rule looks for; it matches when any of its parts does.
     *
     * @param keywords whole words or phrases, case-insensitive
     * @param regex a Java regular expression searched in the (redacted) input
     * @param label a classifier label condition
     * @param escalated matches when an escalation rule fired (priority rules only)
     */
    public record When(List<String> keywords, String regex, LabelCondition label, Boolean escalated) {
        public When {
            keywords = keywords == null ? List.of() : List.copyOf(keywords);
            if (keywords.stream().anyMatch(k -> k == null || k.isBlank())) {
                throw new IllegalArgumentException("when.keywords must not contain blank keywords");
            }
        }

        /** Checked after parsing, so that a misspelt key is reported as unknown rather than as missing. */
        boolean isEmpty() {
            return keywords.isEmpty() && regex == null && label == null && escalated == null;
        }
    }

    /** Matches when the task's best label is one of {@code in} with at least {@code min_confidence}. */
    public record LabelCondition(String task, @JsonProperty("in") List<String> in, Double minConfidence) {
        public LabelCondition {
            if (task == null || task.isBlank()) {
                throw new IllegalArgumentException("label.task is required");
            }
            if (in == null || in.isEmpty()) {
                throw new IllegalArgumentException("label.in must list at least one label of task '" + task + "'");
            }
            in = List.copyOf(in);
            if (minConfidence != null && !(minConfidence >= 0 && minConfidence <= 1)) {
                throw new IllegalArgumentException("label.min_confidence must be in [0, 1], got " + minConfidence);
            }
        }

        public double threshold() {
            return minConfidence == null ? 0 : minConfidence;
        }
    }

    public record EscalationRule(String name, String reason, When when) {
        public EscalationRule {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("an escalation rule needs a name");
            }
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("escalation rule '" + name + "' needs a reason");
            }
            if (when == null) {
                throw new IllegalArgumentException("escalation rule '" + name + "' needs a 'when'");
            }
            if (when.escalated() != null) {
                throw new IllegalArgumentException("escalation rule '" + name + "': 'escalated' belongs to priority rules");
            }
        }
    }

    /** Score = base + the points of every rule that matches, clamped to [0, max]. */
    public record Priority(Integer base, Integer max, List<PriorityRule> rules) {
        public Priority {
            base = base == null ? 0 : base;
            max = max == null ? 100 : max;
            rules = rules == null ? List.of() : List.copyOf(rules);
            if (max < 0 || base < 0 || base > max) {
                throw new IllegalArgumentException("priority needs 0 ≤ base ≤ max, got base " + base + ", max " + max);
            }
        }
    }

    public record PriorityRule(When when, Integer add) {
        public PriorityRule {
            if (add == null) {
                throw new IllegalArgumentException("a priority rule needs 'add' (the points it adds; negative to lower)");
            }
            if (when == null) {
                throw new IllegalArgumentException("a priority rule needs a 'when'");
            }
        }
    }

    /** Inputs that match are answered with {@code message} instead of a model answer. */
    public record OutOfScope(When when, String message) {
        public OutOfScope {
            if (when == null) {
                throw new IllegalArgumentException("out_of_scope needs a 'when'");
            }
            if (message == null || message.isBlank()) {
                throw new IllegalArgumentException("out_of_scope needs a message");
            }
            if (when.escalated() != null) {
                throw new IllegalArgumentException("out_of_scope: 'escalated' belongs to priority rules");
            }
        }
    }

    private static final JsonMapper YAML = JsonMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Reads a policy file; errors name the file, the key path and the problem. */
    public static PolicyConfig load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read policy file: " + e.getMessage(), e);
        }
    }

    public static PolicyConfig parse(String yaml, String source) {
        try {
            PolicyConfig c = YAML.readValue(yaml, PolicyConfig.class);
            if (c == null) {
                return none();
            }
            return c;
        } catch (JsonMappingException e) {
            String path = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : null;
            String problem = cause != null ? cause.getMessage() : e.getOriginalMessage();
            throw new IllegalArgumentException(source + ": " + (path.isEmpty() ? "" : "at '" + path + "': ") + firstLine(problem), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not valid YAML: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
