package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.server.policy.Policy;
import io.supportlm.server.policy.PolicyConfig;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The policy layer through HTTP: what the model and the log see, and what the response reports. */
class PolicyServerTest {
    static final String POLICY = """
            redact_pii: [all]
            log_inputs: true
            escalation:
              - name: legal
                reason: Customer mentions legal action
                when: {keywords: [lawyer]}
              - name: card-fraud
                reason: Possible fraud
                when: {regex: "(?i)unauthori[sz]ed (charge|payment)"}
              - name: routed-high
                reason: Every queue label is routed here in this test
                when: {label: {task: queue, in: [billing, technical, account, other]}}
            priority:
              base: 5
              rules:
                - {when: {escalated: true}, add: 40}
                - {when: {keywords: [refund]}, add: 20}
            out_of_scope:
              when: {keywords: [weather]}
              message: Sorry, I can only help with support questions.
            """;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private SupportServer server;

    @AfterEach
    void stop() {
        server.stop();
    }

    @Test
    void piiIsRedactedBeforeTheModelAndTheLogAndPolicyIsReported() {
        TestBackends.Recording model = new TestBackends.Recording(TinyModels.backend(1));
        server = new SupportServer(ServerConfig.defaults(), TinyModels.models(model, TinyModels.backend(2)),
                new Policy(PolicyConfig.parse(POLICY, "policy.yaml")), new AccessLog(log::add)).start();
        Http http = new Http(server.port());
        HttpResponse<String> r = http.post("/v1/classify", """
                {"subject": "Refund", "body": "My lawyer says: refund me. Write to jane.doe@example.com or +1 415 555 0134"}""");
        assertEquals(200, r.statusCode(), r.body());

        assertEquals(1, model.seen.size());
        String seen = model.seen.getFirst();
        assertFalse(seen.contains("jane.doe") || seen.contains("555"), seen);
        assertTrue(seen.contains("[EMAIL]") && seen.contains("[PHONE]"), seen);
        String logged = String.join("\n", log);
        assertFalse(logged.contains("jane.doe") || logged.contains("555 0134"), logged);
        assertTrue(logged.contains("[EMAIL]"), "log_inputs puts the redacted text in the log: " + logged);

        JsonNode policy = Http.json(r).get("policy");
        assertEquals(1, policy.get("redactions").get("email").asInt());
        assertEquals(1, policy.get("redactions").get("phone").asInt());
        assertTrue(policy.get("escalate").asBoolean());
        JsonNode escalations = policy.get("escalations");
        assertEquals("legal", escalations.get(0).get("rule").asText());
        assertEquals("Customer mentions legal action", escalations.get(0).get("reason").asText());
        assertEquals("keyword 'lawyer'", escalations.get(0).get("matched").asText());
        assertEquals("routed-high", escalations.get(1).get("rule").asText(), "label rules see the classification");
        assertTrue(escalations.get(1).get("matched").asText().startsWith("label queue="));
        assertEquals(5 + 40 + 20, policy.get("priority").asInt());
        assertFalse(policy.get("out_of_scope").asBoolean());
        assertTrue(policy.get("message").isNull());
    }

    @Test
    void regexEscalationAndOutOfScopeInABatch() {
        server = new SupportServer(ServerConfig.defaults(), TinyModels.models(),
                new Policy(PolicyConfig.parse(POLICY, "policy.yaml")), AccessLog.off()).start();
        Http http = new Http(server.port());
        JsonNode items = Http.json(http.post("/v1/classify/batch", """
                {"items": [{"text": "There is an unauthorized charge on my card"}, {"text": "What's the weather tomorrow?"}]}"""))
                .get("items");
        JsonNode fraud = items.get(0).get("policy");
        assertEquals("card-fraud", fraud.get("escalations").get(0).get("rule").asText());
        assertTrue(fraud.get("escalations").get(0).get("matched").asText().startsWith("regex /"));
        JsonNode weather = items.get(1).get("policy");
        assertTrue(weather.get("out_of_scope").asBoolean());
        assertEquals("Sorry, I can only help with support questions.", weather.get("message").asText());
    }

    @Test
    void aPolicyNamingAnUnknownTaskFailsAtStart() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new SupportServer(ServerConfig.defaults(), TinyModels.models(), new Policy(PolicyConfig.parse(
                        "escalation: [{name: a, reason: b, when: {label: {task: sentiment, in: [angry]}}}]", "p.yaml")), AccessLog.off()));
        assertTrue(e.getMessage().contains("task 'sentiment'"), e.getMessage());
        server = new SupportServer(ServerConfig.defaults(), TinyModels.models(), Policy.none(), AccessLog.off());
    }
}
