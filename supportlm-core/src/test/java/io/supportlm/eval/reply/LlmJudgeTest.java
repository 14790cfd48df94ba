package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.supportlm.eval.reply.Judge.Outcome;
import io.supportlm.eval.reply.LlmJudge.Choice;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The judge against a real HTTP server on a free port speaking the chat-completions protocol,
 * whose "model" is a fixed rule over the prompt it receives.
 */
class LlmJudgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SuiteItem ITEM = new SuiteItem("q1", "Where is my refund?", null, "Refunds arrive in {{Refund Timeframe}}.",
            "refund", "track_refund", SuiteItem.Kind.SUPPORT, null);

    @TempDir
    Path cache;

    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<JsonNode> bodies = Collections.synchronizedList(new ArrayList<>());
    private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());

    /** Starts a server whose reply content is {@code rule(userPrompt)}; a null reply content answers HTTP 500. */
    private URI serve(Function<String, String> rule) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> handle(exchange, rule));
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    private void handle(HttpExchange exchange, Function<String, String> rule) throws IOException {
        calls.incrementAndGet();
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        bodies.add(body);
        authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
        String user = body.path("messages").path(1).path("content").asText();
        String content = rule.apply(user);
        byte[] out;
        int status = 200;
        if (content == null) {
            status = 500;
            out = "{\"error\":\"overloaded\"}".getBytes(StandardCharsets.UTF_8);
        } else {
            var reply = JSON.createObjectNode();
            reply.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", content);
            out = JSON.writeValueAsBytes(reply);
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, out.length);
        exchange.getResponseBody().write(out);
        exchange.close();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private LlmJudge judge(URI url, int attempts) throws IOException {
        return new LlmJudge(new LlmJudge.Config(url, "judge-model", "sk-test", Duration.ofSeconds(5), cache, attempts));
    }

    /** The text between the markers of reply A or B in the prompt. */
    private static String reply(String prompt, String which) {
        int start = prompt.indexOf("Reply " + which + ":\n<<<\n") + 12;
        return prompt.substring(start, prompt.indexOf("\n>>>", start));
    }

    /** A judge model that prefers the reply mentioning the refund timeframe, in any position, formatting its answer variously. */
    private static String prefersTimeframe(String prompt) {
        boolean a = reply(prompt, "A").contains("{{Refund Timeframe}}");
        boolean b = reply(prompt, "B").contains("{{Refund Timeframe}}");
        return a == b ? "Tie." : a ? "**A**" : "Verdict: B";
    }

    @Test
    void consistentPreferenceInBothOrdersDecidesTheOutcome() throws IOException {
        LlmJudge judge = judge(serve(LlmJudgeTest::prefersTimeframe), 1);
        Judge.Verdict win = judge.judge(ITEM, "It arrives in {{Refund Timeframe}}.", "No idea.");
        assertEquals(Outcome.WIN, win.outcome());
        assertEquals("tuned first: a; tuned second: b", win.reason());
        assertEquals(Outcome.LOSS, judge.judge(ITEM, "No idea.", "Within {{Refund Timeframe}}.").outcome());
        assertEquals(Outcome.TIE, judge.judge(ITEM, "Hmm.", "No idea.").outcome());
        assertEquals(6, calls.get());
        JsonNode first = bodies.getFirst();
        assertEquals("judge-model", first.path("model").asText());
        assertEquals(0, first.path("temperature").asInt());
        assertEquals("system", first.path("messages").path(0).path("role").asText());
        assertTrue(first.path("messages").path(1).path("content").asText().contains("Reference reply"));
        assertEquals("Bearer sk-test", authorizations.getFirst());
    }

    @Test
    void aJudgeThatAlwaysPicksTheSamePositionGivesTies() throws IOException {
        LlmJudge judge = judge(serve(prompt -> "A"), 1);
        Judge.Verdict v = judge.judge(ITEM, "It arrives in {{Refund Timeframe}}.", "No idea.");
        assertEquals(Outcome.TIE, v.outcome());
        assertEquals("tuned first: a; tuned second: a (inconsistent across orders)", v.reason());
    }

    @Test
    void repliesAreCachedSoARerunSendsNoRequest() throws IOException {
        URI url = serve(LlmJudgeTest::prefersTimeframe);
        judge(url, 1).judge(ITEM, "It arrives in {{Refund Timeframe}}.", "No idea.");
        assertEquals(2, calls.get());
        LlmJudge again = judge(url, 1);
        assertEquals(Outcome.WIN, again.judge(ITEM, "It arrives in {{Refund Timeframe}}.", "No idea.").outcome());
        assertEquals(2, calls.get());
        assertEquals(0, again.requests());
    }

    @Test
    void serverErrorsAndUnreadableRepliesAreRetried() throws IOException {
        AtomicInteger n = new AtomicInteger();
        // First call: HTTP 500; second: prose naming no choice; third: a JSON verdict.
        LlmJudge judge = judge(serve(prompt -> switch (n.incrementAndGet()) {
            case 1 -> null;
            case 2 -> "Both replies have merits and flaws.";
            default -> "{\"verdict\": \"tie\"}";
        }), 3);
        assertEquals(Choice.TIE, judge.ask("some prompt"));
        assertEquals(3, calls.get());
    }

    @Test
    void persistentServerErrorsFailWithTheEndpointNamed() throws IOException {
        URI url = serve(prompt -> null);
        LlmJudge judge = judge(url, 2);
        var e = assertThrows(IllegalStateException.class, () -> judge.ask("p"));
        assertTrue(e.getMessage().startsWith("LLM judge at " + url + "/chat/completions failed 2 times: HTTP 500"), e.getMessage());
    }

    @Test
    void choicesAreParsedFromTheUsualReplyShapes() {
        assertEquals(Choice.A, LlmJudge.parseChoice("A"));
        assertEquals(Choice.B, LlmJudge.parseChoice(" **B** "));
        assertEquals(Choice.TIE, LlmJudge.parseChoice("Tie."));
        assertEquals(Choice.B, LlmJudge.parseChoice("Reply B\nIt answers the question."));
        assertEquals(Choice.A, LlmJudge.parseChoice("A - it is more specific"));
        assertEquals(Choice.A, LlmJudge.parseChoice("A is better."));
        assertEquals(Choice.B, LlmJudge.parseChoice("{\"winner\": \"B\", \"why\": \"specific\"}"));
        assertEquals(Choice.A, LlmJudge.parseChoice("After comparing both, the better reply is A."));
        assertEquals(Choice.B, LlmJudge.parseChoice("Final answer: b"));
        assertEquals(Choice.A, LlmJudge.parseChoice("I prefer Reply A because it is accurate."));
        assertEquals(Choice.TIE, LlmJudge.parseChoice("They are equally good."));
        assertNull(LlmJudge.parseChoice("A good reply would mention the timeframe."));
        assertNull(LlmJudge.parseChoice("Reply A is polite but Reply B is accurate."));
        assertNull(LlmJudge.parseChoice(""));
    }
}
