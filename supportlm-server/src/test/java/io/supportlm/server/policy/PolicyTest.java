package io.supportlm.server.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.Redaction;
import io.supportlm.server.classify.TaskProbabilities;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyTest {
    static final String YAML = """
            redact_pii: [email, phone]
            escalation:
              - name: legal
                reason: Customer mentions legal action
                when: {keywords: [lawyer, "small claims"]}
              - name: outage
                reason: Service down for a long time
                when: {regex: "(?i)down for \\\\d+ (hours|days)"}
              - name: urgent
                reason: Classified high priority
                when: {label: {task: priority, in: [high], min_confidence: 0.6}}
            priority:
              base: 10
              max: 100
              rules:
                - {when: {escalated: true}, add: 50}
                - {when: {keywords: [refund]}, add: 15}
                - {when: {label: {task: queue, in: [billing]}}, add: 5}
            out_of_scope:
              when: {keywords: [recipe, weather]}
              message: I can only help with your account and our products.
            """;
    static final ClassificationTask QUEUE = new ClassificationTask("queue", List.of("billing", "technical"), 1f, null);
    static final ClassificationTask PRIORITY = new ClassificationTask("priority", List.of("low", "high"), 1f, null);

    static Policy policy() {
        return new Policy(PolicyConfig.parse(YAML, "policy.yaml"));
    }

    static List<TaskProbabilities> labels(float billing, float high) {
        return List.of(new TaskProbabilities(QUEUE, new float[] {billing, 1 - billing}),
                new TaskProbabilities(PRIORITY, new float[] {1 - high, high}));
    }

    @Test
    void redactsOnlyTheConfiguredKinds() {
        Redaction r = policy().redact("Mail jane.doe@example.com or call +1 415 555 0134, card 4111 1111 1111 1111");
        assertFalse(r.text().contains("jane.doe"), r.text());
        assertTrue(r.text().contains("[EMAIL]") && r.text().contains("[PHONE]"), r.text());
        assertTrue(r.text().contains("4111 1111 1111 1111"), "cards are not in this policy: " + r.text());
        assertEquals(1, r.count(PiiKind.EMAIL));
    }

    @Test
    void escalatesByKeywordRegexAndLabelWithReasons() {
        Policy p = policy();
        PolicyOutcome keyword = p.evaluate(p.redact("My LAWYER will call you"), labels(0.1f, 0.1f));
        assertEquals(List.of(new PolicyOutcome.Escalation("legal", "Customer mentions legal action", "keyword 'lawyer'")),
                keyword.escalations());
        assertFalse(p.evaluate(p.redact("the lawyers' lounge"), labels(0.1f, 0.1f)).escalate(), "whole words only");
        assertTrue(p.evaluate(p.redact("off to small claims court"), labels(0.1f, 0.1f)).escalate(), "phrases");
        PolicyOutcome regex = p.evaluate(p.redact("The site is down for 3 days"), labels(0.1f, 0.1f));
        assertEquals("outage", regex.escalations().getFirst().rule());
        PolicyOutcome label = p.evaluate(p.redact("hello"), labels(0.1f, 0.8f));
        assertEquals("urgent", label.escalations().getFirst().rule());
        assertEquals("label priority=high (0.80)", label.escalations().getFirst().matched());
        assertFalse(p.evaluate(p.redact("hello"), labels(0.1f, 0.55f)).escalate(), "below min_confidence");
        assertFalse(p.evaluate(p.redact("hello"), null).escalate(), "no labels for generation");
    }

    @Test
    void priorityAddsMatchingRulesAndClamps() {
        Policy p = policy();
        assertEquals(10, p.evaluate(p.redact("hello"), labels(0.2f, 0.1f)).priority());
        assertEquals(10 + 5, p.evaluate(p.redact("hello"), labels(0.9f, 0.1f)).priority());
        assertEquals(10 + 15 + 5, p.evaluate(p.redact("refund please"), labels(0.9f, 0.1f)).priority());
        assertEquals(10 + 50 + 15 + 5, p.evaluate(p.redact("refund or my lawyer"), labels(0.9f, 0.1f)).priority());
        Policy capped = new Policy(PolicyConfig.parse("priority: {base: 90, max: 95, rules: [{when: {keywords: [x]}, add: 50}]}", "p"));
        assertEquals(95, capped.evaluate(capped.redact("x"), null).priority());
    }

    @Test
    void outOfScopeAnswersWithTheConfiguredMessage() {
        Policy p = policy();
        PolicyOutcome o = p.evaluate(p.redact("Any good pasta recipe?"), null);
        assertTrue(o.outOfScope());
        assertEquals("I can only help with your account and our products.", o.outOfScopeMessage());
        assertNull(p.evaluate(p.redact("my invoice"), null).outOfScopeMessage());
    }

    @Test
    void theDocumentedExamplePolicyWorks() {
        Policy p = new Policy(PolicyConfig.load(java.nio.file.Path.of("../docs/examples/policy.yaml")));
        PolicyOutcome o = p.evaluate(p.redact("URGENT: unauthorized charge, mail me at a.b@example.org, I want a refund"), null);
        assertEquals(List.of("fraud"), o.escalations().stream().map(PolicyOutcome.Escalation::rule).toList());
        assertEquals(10 + 50 + 15 + 10, o.priority());
        assertEquals(1, o.redactions().get(PiiKind.EMAIL));
        assertTrue(p.evaluate(p.redact("lottery numbers?"), null).outOfScope());
    }

    @Test
    void badPolicyFilesNameTheKeyAndProblem() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.parse("escalation:\n  - name: a\n    reason: b\n    when: {keywordz: [x]}\n", "p.yaml"));
        assertTrue(unknown.getMessage().startsWith("p.yaml: at 'escalation[0].when"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("keywordz"), unknown.getMessage());
        IllegalArgumentException noReason = assertThrows(IllegalArgumentException.class,
                () -> PolicyConfig.parse("escalation: [{name: a, when: {keywords: [x]}}]", "p.yaml"));
        assertTrue(noReason.getMessage().contains("escalation rule 'a' needs a reason"), noReason.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> new Policy(PolicyConfig.parse("escalation: [{name: a, reason: b, when: {}}]", "p.yaml")));
        assertTrue(empty.getMessage().contains("escalation rule 'a': 'when' needs at least one of"), empty.getMessage());
        IllegalArgumentException regex = assertThrows(IllegalArgumentException.class,
                () -> new Policy(PolicyConfig.parse("escalation: [{name: a, reason: b, when: {regex: \"(unclosed\"}}]", "p.yaml")));
        assertTrue(regex.getMessage().contains("escalation rule 'a': invalid regex"), regex.getMessage());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> new Policy(PolicyConfig.parse("redact_pii: [emails]", "p.yaml")));
        assertTrue(kind.getMessage().contains("unknown PII kind 'emails'"), kind.getMessage());
        IllegalArgumentException task = assertThrows(IllegalArgumentException.class,
                () -> policy().checkTasks(Map.of("queue", List.of("billing", "technical"), "priority", List.of("low", "urgent"))));
        assertTrue(task.getMessage().contains("task 'priority' has no label 'high'"), task.getMessage());
        policy().checkTasks(Map.of("queue", List.of("billing", "technical"), "priority", List.of("low", "high")));
    }
}
