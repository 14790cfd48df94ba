package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.server.classify.ClassificationBackend;
import io.supportlm.server.classify.TaskProbabilities;
import io.supportlm.server.policy.Policy;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SupportServerTest {
    private final List<String> accessLines = new CopyOnWriteArrayList<>();
    private SupportServer server;

    private Http start(ServerConfig config, ServedModels models) {
        server = new SupportServer(config, models, Policy.none(), new AccessLog(accessLines::add)).start();
        return new Http(server.port());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void healthReadinessAndModelListAnswer() {
        Http http = start(ServerConfig.defaults(), TinyModels.models());
        assertEquals(200, http.get("/healthz").statusCode());
        HttpResponse<String> ready = http.get("/readyz");
        assertEquals(200, ready.statusCode());
        assertEquals(List.of(TinyModels.BASE, "support-v1", "support-v2"), names(Http.json(ready).get("models")));

        JsonNode models = Http.json(http.get("/v1/models"));
        assertEquals("list", models.get("object").asText());
        JsonNode data = models.get("data");
        assertEquals(3, data.size());
        assertEquals(TinyModels.BASE, data.get(0).get("id").asText());
        assertTrue(data.get(0).get("parent").isNull());
        assertEquals(0, data.get(0).get("capabilities").size(), "a bare encoder neither classifies nor generates");
        assertEquals("support-v2", data.get(2).get("id").asText());
        assertEquals(TinyModels.BASE, data.get(2).get("parent").asText());
        assertEquals("classify", data.get(2).get("capabilities").get(0).asText());
        assertEquals(List.of("low", "high"), names(data.get(2).get("tasks").get("priority")));
    }

    @Test
    void classifyAnswersEveryTaskWithLabelConfidenceTopKAndInferenceTime() {
        ClassificationBackend v2 = TinyModels.backend(2);
        Http http = start(ServerConfig.defaults(), TinyModels.models(TinyModels.backend(1), v2));
        String text = "My invoice was charged twice this month, please refund";
        HttpResponse<String> r = http.post("/v1/classify", "{\"text\": \"" + text + "\", \"top_k\": 3, \"model\": \"support-v2\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Http.json(r);
        assertEquals("support-v2", body.get("model").asText());
        assertTrue(body.get("inference_ms").asDouble() > 0);
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());

        // The HTTP answer is exactly what the model computes for this text.
        ClassificationBackend.Row expected = v2.classify(List.of(text)).rows().getFirst();
        for (TaskProbabilities tp : expected.tasks()) {
            JsonNode task = body.get("results").get(tp.task().name());
            JsonNode top = task.get("top_k");
            assertEquals(Math.min(3, tp.task().numLabels()), top.size());
            assertEquals(tp.best().label(), task.get("label").asText());
            assertEquals(tp.best().score(), task.get("confidence").asDouble(), 1e-6);
            assertEquals(task.get("label").asText(), top.get(0).get("label").asText());
            double sum = 0;
            for (int i = 0; i < top.size(); i++) {
                double s = top.get(i).get("score").asDouble();
                assertEquals(tp.probabilities()[tp.task().indexOf(top.get(i).get("label").asText())], s, 1e-6);
                if (i > 0) {
                    assertTrue(s <= top.get(i - 1).get("score").asDouble(), "top_k is sorted best first");
                }
                sum += s;
            }
            assertTrue(sum <= 1 + 1e-6);
        }
        // Without top_k, only the best label; with all labels, the scores sum to one.
        JsonNode all = Http.json(http.post("/v1/classify", "{\"text\": \"" + text + "\", \"top_k\": 10}"));
        assertEquals("support-v1", all.get("model").asText(), "the first classifying model is the default");
        double sum = 0;
        for (JsonNode s : all.get("results").get("queue").get("top_k")) {
            sum += s.get("score").asDouble();
        }
        assertEquals(1.0, sum, 1e-5);
        JsonNode one = Http.json(http.post("/v1/classify", "{\"subject\": \"Refund\", \"body\": \"" + text + "\"}"));
        assertEquals(1, one.get("results").get("priority").get("top_k").size());
    }

    @Test
    void adaptersOverOneBaseAnswerDifferently() {
        Http http = start(ServerConfig.defaults(), TinyModels.models());
        String req = "\"text\": \"The app crashes when I log in\", \"top_k\": 4";
        JsonNode v1 = Http.json(http.post("/v1/classify", "{" + req + ", \"model\": \"support-v1\"}"));
        JsonNode v2 = Http.json(http.post("/v1/classify", "{" + req + ", \"model\": \"support-v2\"}"));
        assertNotEquals(v1.get("results").get("queue").get("top_k").toString(), v2.get("results").get("queue").get("top_k").toString());
    }

    @Test
    void batchAnswersEachItemAsASingleRequestWould() {
        Http http = start(ServerConfig.defaults(), TinyModels.models());
        List<String> items = List.of("{\"text\": \"short\"}",
                "{\"text\": \"a much longer message about a failed payment on my credit card last week\"}",
                "{\"subject\": \"Password\", \"body\": \"I cannot reset my password\"}");
        HttpResponse<String> r = http.post("/v1/classify/batch", "{\"items\": [" + String.join(", ", items) + "], \"top_k\": 4}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode batch = Http.json(r);
        assertEquals(3, batch.get("items").size());
        for (int i = 0; i < items.size(); i++) {
            String single = items.get(i).substring(0, items.get(i).length() - 1) + ", \"top_k\": 4}";
            JsonNode alone = Http.json(http.post("/v1/classify", single));
            for (String task : List.of("queue", "priority")) {
                JsonNode a = alone.get("results").get(task).get("top_k");
                JsonNode b = batch.get("items").get(i).get("results").get(task).get("top_k");
                for (int k = 0; k < a.size(); k++) {
                    assertEquals(a.get(k).get("label").asText(), b.get(k).get("label").asText());
                    assertEquals(a.get(k).get("score").asDouble(), b.get(k).get("score").asDouble(), 1e-5,
                            "padding in a batch must not change item " + i);
                }
            }
        }
    }

    @Test
    void concurrentRequestsShareBatches() throws Exception {
        // The gate holds the first forward so that the other requests are all waiting when it opens,
        // whatever the machine's load: the batch sizes are then certain.
        TestBackends.Gated gated = new TestBackends.Gated(TinyModels.backend(1));
        Http http = start(ServerConfig.defaults().withBatching(16, Duration.ofMillis(5), 256), TinyModels.models(gated, TinyModels.backend(2)));
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            futures.add(async(http, "{\"text\": \"request number " + i + "\"}"));
        }
        gated.awaitEntered(1);
        var depth = server.registry().get("supportlm.classify.queue.depth").tag("model", "support-v1").gauge();
        waitFor(() -> depth.value() == 16 - gated.firstBatchSize.get());
        gated.open();
        futures.forEach(f -> assertEquals(200, f.join().statusCode()));
        String metrics = http.get("/metrics").body();
        double batches = metric(metrics, "supportlm_classify_batch_size_count\\{model=\"support-v1\"\\}");
        double texts = metric(metrics, "supportlm_classify_batch_size_sum\\{model=\"support-v1\"\\}");
        double largest = metric(metrics, "supportlm_classify_batch_size_max\\{model=\"support-v1\"\\}");
        assertEquals(16, texts);
        assertEquals(2, batches, "the held batch, then all the others together");
        assertTrue(largest >= 8, "16 concurrent requests ran in " + batches + " batches, the largest " + largest);
    }

    @Test
    void metricsExposeRoutesBatchesQueueAndTokens() {
        Http http = start(ServerConfig.defaults(), TinyModels.models());
        assertEquals(200, http.post("/v1/classify", "{\"text\": \"hello\"}").statusCode());
        assertEquals(400, http.post("/v1/classify", "{}").statusCode());
        HttpResponse<String> r = http.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String m = r.body();
        assertEquals(1, metric(m, "http_server_requests_seconds_count\\{method=\"POST\",route=\"classify\",status=\"200\"\\}"));
        assertEquals(1, metric(m, "http_server_requests_seconds_count\\{method=\"POST\",route=\"classify\",status=\"400\"\\}"));
        assertTrue(Pattern.compile("(?m)^http_server_requests_seconds_bucket\\{.*route=\"classify\".*le=\"\\+Inf\"\\} 1").matcher(m).find(),
                "per-route latency histogram");
        assertEquals(1, metric(m, "supportlm_classify_batch_size_bucket\\{model=\"support-v1\",le=\"1.0\"\\}"), "batch size histogram");
        assertEquals(0, metric(m, "supportlm_classify_queue_depth\\{model=\"support-v1\"\\}"));
        assertEquals(3, metric(m, "supportlm_classify_tokens_total\\{model=\"support-v1\"\\}"), "[CLS] hello [SEP]");
        assertTrue(m.contains("supportlm_classify_inference_seconds_bucket"));
    }

    @Test
    void fullQueueAnswers429WithRetryAfterAndRecovers() throws Exception {
        TestBackends.Gated gated = new TestBackends.Gated(TinyModels.backend(1));
        Http http = start(ServerConfig.defaults().withBatching(1, Duration.ZERO, 2), TinyModels.models(gated, TinyModels.backend(2)));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        held.add(async(http, "{\"text\": \"first\"}"));
        gated.awaitEntered(1); // the worker holds "first"; the queue is empty again
        held.add(async(http, "{\"text\": \"second\"}"));
        held.add(async(http, "{\"text\": \"third\"}"));
        waitFor(() -> server.registry().get("supportlm.classify.queue.depth").tag("model", "support-v1").gauge().value() == 2);
        HttpResponse<String> refused = http.post("/v1/classify", "{\"text\": \"fourth\"}");
        assertEquals(429, refused.statusCode(), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
        assertEquals("rate_limit_error", Http.json(refused).get("error").get("type").asText());
        // Another model has its own queue.
        assertEquals(200, http.post("/v1/classify", "{\"text\": \"fourth\", \"model\": \"support-v2\"}").statusCode());
        gated.open();
        held.forEach(f -> assertEquals(200, f.join().statusCode()));
        assertEquals(200, http.post("/v1/classify", "{\"text\": \"fifth\"}").statusCode());
    }

    @Test
    void slowClassificationTimesOutWith504() throws Exception {
        TestBackends.Gated gated = new TestBackends.Gated(TinyModels.backend(1));
        Http http = start(ServerConfig.defaults().withTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(5)),
                TinyModels.models(gated, TinyModels.backend(2)));
        HttpResponse<String> r = http.post("/v1/classify", "{\"text\": \"slow\"}");
        assertEquals(504, r.statusCode());
        assertTrue(Http.json(r).get("error").get("message").asText().contains("1500 ms"));
        assertEquals(200, http.get("/healthz").statusCode());
        gated.open();
        // Once the model is free again, requests succeed (retried: a loaded CI machine may be slow to warm up).
        waitFor(() -> http.post("/v1/classify", "{\"text\": \"fast now\"}").statusCode() == 200);
    }

    @Test
    void gracefulShutdownFinishesInFlightRequestsAndRefusesNewOnes() throws Exception {
        TestBackends.Gated gated = new TestBackends.Gated(TinyModels.backend(1));
        Http http = start(ServerConfig.defaults().withTimeouts(Duration.ofSeconds(20), Duration.ofSeconds(20)),
                TinyModels.models(gated, TinyModels.backend(2)));
        CompletableFuture<HttpResponse<String>> inFlight = async(http, "{\"text\": \"still being classified\"}");
        gated.awaitEntered(1);
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
        waitFor(() -> http.get("/readyz").statusCode() == 503);
        HttpResponse<String> refused = http.post("/v1/classify", "{\"text\": \"too late\", \"model\": \"support-v2\"}");
        assertEquals(503, refused.statusCode());
        assertFalse(stopping.isDone(), "stop waits for the in-flight request");
        gated.open();
        HttpResponse<String> finished = inFlight.join();
        assertEquals(200, finished.statusCode(), finished.body());
        stopping.join();
        server = null;
    }

    @Test
    void accessLogHasOneJsonLinePerRequestWithTheRequestId() {
        Http http = start(ServerConfig.defaults(), TinyModels.models());
        HttpResponse<String> r = Http.send(http.builder("/v1/classify").header("X-Request-Id", "abc-123")
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"text\": \"hi\"}")).build());
        assertEquals("abc-123", r.headers().firstValue("X-Request-Id").orElse(null));
        http.get("/nowhere");
        JsonNode line = JsonBody.MAPPER.valueToTree(accessLines.stream().map(SupportServerTest::parse)
                .filter(n -> n.path("request_id").asText().equals("abc-123")).findFirst().orElseThrow());
        assertEquals("classify", line.get("route").asText());
        assertEquals(200, line.get("status").asInt());
        assertEquals("support-v1", line.get("model").asText());
        assertTrue(line.get("duration_ms").asDouble() >= 0);
        assertTrue(accessLines.stream().map(SupportServerTest::parse).anyMatch(n -> n.path("status").asInt() == 404
                && n.path("route").asText().equals("unmatched")));
    }

    @Test
    void underBoundedLoadEveryAnswerIsASuccessOrA429AndNothingLeaks() throws Exception {
        Http http = start(ServerConfig.defaults().withBatching(8, Duration.ofMillis(2), 12), TinyModels.models());
        int clients = 8, perClient = 20;
        List<CompletableFuture<List<HttpResponse<String>>>> runs = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            runs.add(CompletableFuture.supplyAsync(() -> {
                List<HttpResponse<String>> out = new ArrayList<>();
                for (int i = 0; i < perClient; i++) {
                    out.add(i % 4 == 0
                            ? http.post("/v1/classify/batch", "{\"items\": [{\"text\": \"a\"}, {\"text\": \"b c\"}, {\"text\": \"d\"}]}")
                            : http.post("/v1/classify", "{\"text\": \"client " + client + " request " + i + "\"}"));
                }
                return out;
            }));
        }
        int ok = 0, refused = 0;
        for (var run : runs) {
            for (HttpResponse<String> r : run.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertEquals(429, r.statusCode(), r.body());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                    refused++;
                }
            }
        }
        assertEquals(clients * perClient, ok + refused);
        assertTrue(ok > 0);
        waitFor(() -> server.inFlight() == 0);
        String m = http.get("/metrics").body();
        assertEquals(0, metric(m, "supportlm_classify_queue_depth\\{model=\"support-v1\"\\}"));
        assertEquals(200, http.post("/v1/classify", "{\"text\": \"after the storm\"}").statusCode());
    }

    @Test
    void corsAllowsOnlyConfiguredOrigins() {
        Http http = start(ServerConfig.defaults().withCorsOrigins(List.of("https://app.example.com")), TinyModels.models());
        HttpResponse<String> allowed = Http.send(http.builder("/v1/models").header("Origin", "https://app.example.com").build());
        assertEquals("https://app.example.com", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        HttpResponse<String> other = Http.send(http.builder("/v1/models").header("Origin", "https://evil.example").build());
        assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }

    static JsonNode parse(String line) {
        try {
            return JsonBody.MAPPER.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("access log line is not JSON: " + line, e);
        }
    }

    private static CompletableFuture<HttpResponse<String>> async(Http http, String json) {
        return Http.CLIENT.sendAsync(http.builder("/v1/classify").header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 10 s");
            }
            Thread.sleep(5);
        }
    }

    static double metric(String prometheus, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + nameAndLabels + " (\\S+)$").matcher(prometheus);
        assertTrue(m.find(), "metric " + nameAndLabels + " in:\n" + prometheus);
        return Double.parseDouble(m.group(1));
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
