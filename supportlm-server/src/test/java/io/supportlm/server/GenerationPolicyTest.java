package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.server.policy.Policy;
import io.supportlm.server.policy.PolicyConfig;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The policy on the generation routes: the model never sees PII; out-of-scope prompts get the configured answer. */
class GenerationPolicyTest {
    static final String POLICY = """
            redact_pii: [all]
            escalation:
              - name: legal
                reason: Customer mentions legal action
                when: {keywords: [lawyer]}
            out_of_scope:
              when: {keywords: [weather]}
              message: Sorry, I can only help with support questions.
            """;
    private static final List<String> prompts = new CopyOnWriteArrayList<>();
    private static LoadedModels loaded;
    private static SupportServer server;
    private static Http http;

    /** The real generator, recording the prompts it is given. */
    record Recording(TextGenerator inner) implements TextGenerator {
        @Override
        public Result generate(Request request, TokenSink sink, Cancellation cancellation) {
            prompts.add(request.prompt());
            return inner.generate(request, sink, cancellation);
        }

        @Override
        public String chatPrompt(List<ChatTemplate.Message> messages) {
            return inner.chatPrompt(messages);
        }
    }

    @BeforeAll
    static void start() {
        loaded = TinyDecoder.load();
        ServedModels models = new ServedModels(List.of(ServedModel.base(TinyDecoder.NAME, null,
                new Recording(loaded.models().all().getFirst().generator()))));
        server = new SupportServer(ServerConfig.defaults(), models, new Policy(PolicyConfig.parse(POLICY, "policy.yaml")),
                AccessLog.off()).start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        loaded.close();
    }

    @Test
    void piiIsRedactedBeforeTheModelSeesThePrompt() {
        prompts.clear();
        HttpResponse<String> r = http.post("/v1/chat/completions", """
                {"messages": [{"role": "system", "content": "Be kind."},
                 {"role": "user", "content": "My lawyer wrote to jane.doe@example.com"}], "max_tokens": 3}""");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, prompts.size());
        assertFalse(prompts.getFirst().contains("jane.doe"), prompts.getFirst());
        assertTrue(prompts.getFirst().contains("Be kind.") && prompts.getFirst().contains("My lawyer wrote to"), prompts.getFirst());
        JsonNode policy = Http.json(r).path("policy");
        assertEquals(1, policy.path("redactions").path("email").asInt(), r.body());
        assertTrue(policy.path("escalate").asBoolean());

        r = http.post("/v1/generate", "{\"prompt\": \"call me at jane.doe@example.com\", \"max_new_tokens\": 2}");
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(prompts.getLast().contains("jane.doe"), prompts.getLast());
    }

    @Test
    void outOfScopePromptGetsTheConfiguredAnswerWithoutGenerating() throws Exception {
        prompts.clear();
        HttpResponse<String> r = http.post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "What is the weather tomorrow?"}], "max_tokens": 8}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = Http.json(r);
        assertEquals("Sorry, I can only help with support questions.", c.path("choices").get(0).path("message").path("content").asText());
        assertEquals(0, c.path("usage").path("completion_tokens").asInt());
        assertTrue(c.path("policy").path("out_of_scope").asBoolean());

        r = http.post("/v1/completions", "{\"prompt\": \"weather?\", \"stream\": true}");
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder text = new StringBuilder();
        for (String line : r.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            JsonBody.MAPPER.readTree(line.substring(6)).path("choices").forEach(ch -> text.append(ch.path("text").asText()));
        }
        assertEquals("Sorry, I can only help with support questions.", text.toString());
        assertTrue(prompts.isEmpty(), "the model was not called: " + prompts);
    }
}
