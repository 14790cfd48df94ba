package io.supportlm.data.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.supportlm.data.SupportRecord;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against a real HTTP server on a loopback port that answers like an OpenAI chat endpoint,
 * misbehaving on cue: the user message says how.
 */
class TeacherLabelerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;
    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final Map<String, AtomicInteger> callsPerText = new ConcurrentHashMap<>();
    private volatile String lastAuthorization;
    private volatile JsonNode lastRequest;

    private final LabelTasks tasks = new LabelTasks(null, Map.of(
            "queue", new LabelTasks.Task("team", List.of("billing", "shipping")),
            "priority", new LabelTasks.Task(null, List.of("low", "high"))));

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", this::answer);
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        calls.incrementAndGet();
        lastAuthorization = ex.getRequestHeaders().getFirst("Authorization");
        JsonNode req = JSON.readTree(ex.getRequestBody());
        lastRequest = req;
        String text = req.path("messages").path(1).path("content").asText();
        int n = callsPerText.computeIfAbsent(text, k -> new AtomicInteger()).incrementAndGet();
        int turns = req.path("messages").size();
        String queue = text.contains("refund") ? "billing" : "shipping";
        String good = "{\"queue\": \"" + queue + "\", \"priority\": \"" + (text.contains("urgent") ? "HIGH" : "low") + "\"}";
        if (text.contains("ALWAYS500")) {
            send(ex, 500, "{\"error\": \"boom\"}", null);
        } else if (text.contains("FLAKY500") && n == 1) {
            send(ex, 503, "upstream unavailable", null);
        } else if (text.contains("WAIT1") && n == 1) {
            send(ex, 429, "{\"error\": \"slow down\"}", "1");
        } else if (text.contains("RATE429") && n == 1) {
            send(ex, 429, "{\"error\": {\"message\": \"rate limited\"}}", "0");
        } else if (text.contains("MALFORMED") && turns == 2) {
            send(ex, 200, completion("Sure! The queue is billing."), null);
        } else if (text.contains("BADLABEL")) {
            send(ex, 200, completion("{\"queue\": \"legal\", \"priority\": \"low\"}"), null);
        } else if (text.contains("NOTCHAT")) {
            send(ex, 200, "{\"unexpected\": true}", null);
        } else if (text.contains("AUTH401")) {
            send(ex, 401, "{\"error\": \"invalid api key\"}", null);
        } else {
            send(ex, 200, completion("```json\n" + good + "\n```"), null);
        }
    }

    private static String completion(String content) throws IOException {
        return JSON.writeValueAsString(Map.of("id", "chatcmpl-1", "object", "chat.completion",
                "choices", List.of(Map.of("index", 0, "finish_reason", "stop", "message", Map.of("role", "assistant", "content", content)))));
    }

    private static void send(HttpExchange ex, int status, String body, String retryAfter) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        if (retryAfter != null) {
            ex.getResponseHeaders().add("Retry-After", retryAfter);
        }
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private TeacherLabeler labeler(String apiKey) {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
        return new TeacherLabeler(new TeacherConfig(base, "teacher-7b", apiKey, 4, 0, 3, Duration.ofSeconds(5),
                dir.resolve("cache"), true), tasks, 1);
    }

    private static SupportRecord rec(String id, String text) {
        return new SupportRecord(id, SupportRecord.Inputs.ofText(text), null, new SupportRecord.Meta("t", null, null));
    }

    @Test
    void labelsRetriesAndReportsFailures() throws Exception {
        List<SupportRecord> input = List.of(rec("ok", "where is my parcel"), rec("fence", "urgent refund please"),
                rec("flaky", "refund FLAKY500"), rec("rate", "parcel RATE429"), rec("malformed", "refund MALFORMED"),
                rec("badlabel", "BADLABEL parcel"), rec("down", "ALWAYS500"), rec("auth", "AUTH401"), rec("notchat", "NOTCHAT"));
        LabelingResult r = labeler("sk-test").label(input, n -> {});

        assertEquals(List.of("ok", "fence", "flaky", "rate", "malformed"), r.labelled().stream().map(SupportRecord::id).toList());
        assertEquals(Map.of("queue", "billing", "priority", "high"), r.labelled().get(1).outputs().labels(),
                "fenced JSON accepted, label case normalized");
        Map<String, LabelingResult.Failure> failures = new java.util.HashMap<>();
        r.failures().forEach(f -> failures.put(f.id(), f));
        assertEquals(List.of("auth", "badlabel", "down", "notchat"), failures.keySet().stream().sorted().toList());
        assertTrue(failures.get("badlabel").reason().contains("'legal' is not an allowed label for 'queue'"), failures.get("badlabel").reason());
        assertEquals(3, failures.get("badlabel").attempts());
        assertTrue(failures.get("badlabel").lastAnswer().contains("legal"));
        assertEquals("HTTP 500", failures.get("down").reason());
        assertTrue(failures.get("auth").reason().startsWith("HTTP 401"), failures.get("auth").reason());
        assertEquals(1, failures.get("auth").attempts(), "a 401 is not retried");
        assertTrue(failures.get("notchat").reason().contains("not a chat completion"));
        assertNull(failures.get("down").lastAnswer());

        // calls: ok 1, fence 1, flaky 2, rate 2, malformed 2, badlabel 3, down 3, auth 1, notchat 3
        assertEquals(18, calls.get());
        assertEquals(18, r.httpRequests());
        assertEquals("Bearer sk-test", lastAuthorization);
        assertEquals("teacher-7b", lastRequest.path("model").asText());
        assertEquals("json_object", lastRequest.path("response_format").path("type").asText());
        assertTrue(lastRequest.path("messages").path(0).path("content").asText().contains("\"queue\" (team): one of \"billing\", \"shipping\""));
    }

    @Test
    void invalidAnswersAreFedBackToTheModel() throws Exception {
        labeler(null).label(List.of(rec("m", "refund MALFORMED")), n -> {});
        JsonNode messages = lastRequest.path("messages");
        assertEquals(4, messages.size());
        assertEquals("assistant", messages.path(2).path("role").asText());
        assertTrue(messages.path(3).path("content").asText().contains("invalid"));
        assertNull(lastAuthorization);
    }

    @Test
    void secondRunIsServedFromTheCacheWithoutHttpCalls() throws Exception {
        List<SupportRecord> input = List.of(rec("a", "where is my parcel"), rec("b", "refund please"), rec("c", "BADLABEL"));
        LabelingResult first = labeler(null).label(input, n -> {});
        int afterFirst = calls.get();
        assertEquals(2, first.labelled().size());
        assertEquals(2, Files.list(dir.resolve("cache")).count(), "only valid answers are cached");

        LabelingResult second = labeler(null).label(input.subList(0, 2), n -> {});
        assertEquals(afterFirst, calls.get(), "no HTTP call on a rerun");
        assertEquals(0, second.httpRequests());
        assertEquals(2, second.cacheHits());
        assertEquals(first.labelled(), second.labelled());
    }

    @Test
    void rateLimitSpacesRequests() throws Exception {
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/");
        TeacherLabeler slow = new TeacherLabeler(new TeacherConfig(base, "m", null, 4, 20, 1, null, dir.resolve("c2"), false), tasks, 1);
        long t0 = System.nanoTime();
        LabelingResult r = slow.label(List.of(rec("1", "a"), rec("2", "b"), rec("3", "c"), rec("4", "d"), rec("5", "e")), n -> {});
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(5, r.labelled().size());
        assertTrue(seconds >= 0.19, "5 requests at 20/s take at least 0.2 s, took " + seconds);
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        long t0 = System.nanoTime();
        LabelingResult r = labeler(null).label(List.of(rec("w", "parcel WAIT1")), n -> {});
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(1, r.labelled().size());
        assertEquals(2, r.httpRequests());
        assertTrue(seconds >= 0.95, "waited only " + seconds + " s after Retry-After: 1");
    }

    @Test
    void schemaFilesAreCheckedWhenLoaded() throws Exception {
        Path yaml = dir.resolve("tasks.yaml");
        Files.writeString(yaml, "tasks:\n  queue:\n    labels: [billing, shipping]\n    descripton: typo\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LabelTasks.load(yaml));
        assertTrue(e.getMessage().contains("descripton"), e.getMessage());
        Files.writeString(yaml, "tasks:\n  queue:\n    labels: []\n");
        e = assertThrows(IllegalArgumentException.class, () -> LabelTasks.load(yaml));
        assertTrue(e.getMessage().contains("non-empty 'labels'"), e.getMessage());
    }
}
