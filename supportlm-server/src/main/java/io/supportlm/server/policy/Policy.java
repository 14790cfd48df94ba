package io.supportlm.server.policy;

import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.PiiRedactor;
import io.supportlm.data.pii.Redaction;
import io.supportlm.server.classify.TaskProbabilities;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The policy layer, compiled from a {@link PolicyConfig}: redacts PII before text reaches a
 * model or a log (with the data pipeline's {@link PiiRedactor}), and evaluates escalation,
 * priority and the out-of-scope guardrail on the redacted text and, when there is one, the
 * classification. Label conditions are checked against the task names the served models know,
 * so a typo in the policy fails at start, not silently at run time.
 */
public final class Policy {
    private final PolicyConfig config;
    private final PiiRedactor redactor; // null: no redaction
    private final List<CompiledRule> escalation;
    private final List<CompiledPriority> priority;
    private final CompiledWhen outOfScope;

    private record CompiledRule(PolicyConfig.EscalationRule rule, CompiledWhen when) {}

    private record CompiledPriority(PolicyConfig.PriorityRule rule, CompiledWhen when) {}

    /** A compiled {@link PolicyConfig.When}. */
    private record CompiledWhen(List<Pattern> keywords, List<String> keywordText, Pattern regex,
                            PolicyConfig.LabelCondition label, Boolean escalated) {
        /** What matched, described for the response; empty when nothing did. */
        Optional<String> match(String text, List<TaskProbabilities> labels, boolean escalatedNow) {
            for (int i = 0; i < keywords.size(); i++) {
                if (keywords.get(i).matcher(text).find()) {
                    return Optional.of("keyword '" + keywordText.get(i) + "'");
                }
            }
            if (regex != null) {
                Matcher m = regex.matcher(text);
                if (m.find()) {
                    return Optional.of("regex /" + regex.pattern() + "/");
                }
            }
            if (label != null && labels != null) {
                for (TaskProbabilities tp : labels) {
                    if (tp.task().name().equals(label.task())) {
                        TaskProbabilities.LabelScore best = tp.best();
                        if (label.in().contains(best.label()) && best.score() >= label.threshold()) {
                            return Optional.of("label " + label.task() + "=" + best.label()
                                    + String.format(Locale.ROOT, " (%.2f)", best.score()));
                        }
                    }
                }
            }
            if (escalated != null && escalated == escalatedNow) {
                return Optional.of(escalatedNow ? "escalated" : "not escalated");
            }
            return Optional.empty();
        }
    }

    public Policy(PolicyConfig config) {
        this.config = config;
        this.redactor = redactor(config.redactPii());
        this.escalation = config.escalation().stream()
                .map(r -> new CompiledRule(r, compile(r.when(), "escalation rule '" + r.name() + "'"))).toList();
        List<CompiledPriority> p = new ArrayList<>();
        for (int i = 0; i < config.priority().rules().size(); i++) {
            PolicyConfig.PriorityRule r = config.priority().rules().get(i);
            p.add(new CompiledPriority(r, compile(r.when(), "priority.rules[" + i + "]")));
        }
        this.priority = List.copyOf(p);
        this.outOfScope = config.outOfScope() == null ? null : compile(config.outOfScope().when(), "out_of_scope");
    }

    public static Policy none() {
        return new Policy(PolicyConfig.none());
    }

    public PolicyConfig config() {
        return config;
    }

    private static PiiRedactor redactor(List<String> kinds) {
        if (kinds.isEmpty()) {
            return null;
        }
        if (kinds.stream().anyMatch(k -> k.equalsIgnoreCase("all"))) {
            return PiiRedactor.all();
        }
        Set<PiiKind> set = EnumSet.noneOf(PiiKind.class);
        for (String k : kinds) {
            set.add(PiiKind.parse(k));
        }
        return new PiiRedactor(set);
    }

    private static CompiledWhen compile(PolicyConfig.When when, String where) {
        if (when.isEmpty()) {
            throw new IllegalArgumentException(where + ": 'when' needs at least one of keywords, regex, label, escalated");
        }
        List<Pattern> keywords = new ArrayList<>();
        for (String k : when.keywords()) {
            keywords.add(Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(k.strip()) + "(?![\\p{L}\\p{N}])",
                    Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
        }
        Pattern regex;
        try {
            regex = when.regex() == null ? null : Pattern.compile(when.regex());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(where + ": invalid regex: " + e.getDescription() + " in /" + when.regex() + "/");
        }
        return new CompiledWhen(List.copyOf(keywords), when.keywords(), regex, when.label(), when.escalated());
    }

    /** Fails unless every label condition names a known task and labels of it. */
    public void checkTasks(Map<String, List<String>> labelsByTask) {
        List<PolicyConfig.LabelCondition> conditions = new ArrayList<>();
        escalation.forEach(r -> addIfPresent(conditions, r.when.label()));
        priority.forEach(r -> addIfPresent(conditions, r.when.label()));
        if (outOfScope != null) {
            addIfPresent(conditions, outOfScope.label());
        }
        for (PolicyConfig.LabelCondition c : conditions) {
            List<String> labels = labelsByTask.get(c.task());
            if (labels == null) {
                throw new IllegalArgumentException("policy: label condition names task '" + c.task()
                        + "', but the served models have tasks " + labelsByTask.keySet());
            }
            for (String l : c.in()) {
                if (!labels.contains(l)) {
                    throw new IllegalArgumentException("policy: task '" + c.task() + "' has no label '" + l + "' (labels: " + labels + ")");
                }
            }
        }
    }

    private static void addIfPresent(List<PolicyConfig.LabelCondition> out, PolicyConfig.LabelCondition c) {
        if (c != null) {
            out.add(c);
        }
    }

    /** The text with the configured PII kinds replaced by placeholders. */
    public Redaction redact(String text) {
        return redactor == null ? new Redaction(text, Map.of()) : redactor.redact(text);
    }

    public boolean logInputs() {
        return config.logInputs();
    }

    /**
     * Evaluates the rules on redacted text and, when the input was classified, its labels
     * ({@code null} for generation, where label conditions cannot match).
     */
    public PolicyOutcome evaluate(Redaction redaction, List<TaskProbabilities> labels) {
        String text = redaction.text();
        List<PolicyOutcome.Escalation> fired = new ArrayList<>();
        for (CompiledRule r : escalation) {
            r.when.match(text, labels, false).ifPresent(m -> fired.add(new PolicyOutcome.Escalation(r.rule.name(), r.rule.reason(), m)));
        }
        boolean escalated = !fired.isEmpty();
        long score = config.priority().base();
        for (CompiledPriority r : priority) {
            if (r.when.match(text, labels, escalated).isPresent()) {
                score += r.rule.add();
            }
        }
        int clamped = (int) Math.max(0, Math.min(config.priority().max(), score));
        String message = outOfScope != null && outOfScope.match(text, labels, escalated).isPresent()
                ? config.outOfScope().message() : null;
        return new PolicyOutcome(redaction.counts(), fired, clamped, message);
    }
}
