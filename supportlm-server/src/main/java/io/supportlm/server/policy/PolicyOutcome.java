package io.supportlm.server.policy;

import io.supportlm.data.pii.PiiKind;
import java.util.List;
import java.util.Map;

/**
 * What the policy decided for one input: the PII it redacted, the escalation flags with their
 * reasons, the priority score, and the out-of-scope answer when the guardrail fired.
 *
 * @param outOfScopeMessage the configured answer, or null when the input is in scope
 */
public record PolicyOutcome(Map<PiiKind, Integer> redactions, List<Escalation> escalations, int priority,
                            String outOfScopeMessage) {
    /** A fired escalation rule: its name, the configured reason, and what matched. */
    public record Escalation(String rule, String reason, String matched) {}

    public PolicyOutcome {
        redactions = Map.copyOf(redactions);
        escalations = List.copyOf(escalations);
    }

    public boolean escalate() {
        return !escalations.isEmpty();
    }

    public boolean outOfScope() {
        return outOfScopeMessage != null;
    }
}
