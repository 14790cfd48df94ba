package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.supportlm.generate.Generation;
import io.supportlm.server.policy.Policy;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generation routes over real HTTP on loopback, against a tiny random llama. */
class GenerationServerTest {
    private static LoadedModels loaded;
    private static SupportServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        loaded = TinyDecoder.load();
        server = new SupportServer(ServerConfig.defaults(), loaded.models(), Policy.none(), AccessLog.off()).start();
        http = new Http(server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        loaded.close();
    }

    private static OpenAIClient openAi(int port) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + port + "/v1").apiKey("unused").maxRetries(0).build();
    }

    private static ChatCompletionCreateParams greedyChat(String user, int maxTokens) {
        return ChatCompletionCreateParams.builder().model(TinyDecoder.NAME).addUserMessage(user)
                .maxCompletionTokens(maxTokens).temperature(0.0).seed(3).build();
    }

    @Test
    void openAiClientChatEqualsInProcessGeneration() {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        int[] ids = ref.chatIds("My invoice is wrong");
        Generation expected = ref.greedy(ids, 24, List.of());
        ChatCompletion c = openAi(server.port()).chat().completions().create(greedyChat("My invoice is wrong", 24));
        assertEquals(TinyDecoder.NAME, c.model());
        assertEquals(1, c.choices().size());
        assertEquals(expected.text(), c.choices().getFirst().message().content().orElseThrow());
        assertEquals(expected.stopReason() == Generation.StopReason.STOP_TOKEN ? "stop" : "length",
                c.choices().getFirst().finishReason().asString());
        var usage = c.usage().orElseThrow();
        assertEquals(ids.length, usage.promptTokens());
        assertEquals(expected.tokens().length, usage.completionTokens());
        assertEquals(ids.length + expected.tokens().length, usage.totalTokens());
    }

    @Test
    void openAiClientStreamingChunksConcatenateToTheSameText() {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        Generation expected = ref.greedy(ref.chatIds("Reset my password"), 30, List.of());
        StringBuilder text = new StringBuilder();
        List<String> finishReasons = new ArrayList<>();
        int chunks = 0;
        try (StreamResponse<ChatCompletionChunk> stream = openAi(server.port()).chat().completions()
                .createStreaming(greedyChat("Reset my password", 30))) {
            for (ChatCompletionChunk chunk : (Iterable<ChatCompletionChunk>) stream.stream()::iterator) {
                chunks++;
                assertEquals(TinyDecoder.NAME, chunk.model());
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(text::append);
                    choice.finishReason().ifPresent(r -> finishReasons.add(r.asString()));
                }
            }
        }
        assertEquals(expected.text(), text.toString());
        assertEquals(1, finishReasons.size(), "exactly one chunk carries the finish reason");
        assertTrue(chunks > 2, "the answer came in several chunks, got " + chunks);
    }

    @Test
    void completionsAndGenerateContinueARawPromptAsInProcess() {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        int[] ids = ref.promptIds("Dear support,");
        Generation expected = ref.greedy(ids, 20, List.of());

        HttpResponse<String> r = http.post("/v1/completions", """
                {"model": "tiny-llama", "prompt": "Dear support,", "max_tokens": 20, "temperature": 0}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c = Http.json(r);
        assertEquals("text_completion", c.path("object").asText());
        assertTrue(c.path("id").asText().startsWith("cmpl-"));
        assertEquals(expected.text(), c.path("choices").get(0).path("text").asText());
        assertEquals(ids.length, c.path("usage").path("prompt_tokens").asInt());
        assertEquals(expected.tokens().length, c.path("usage").path("completion_tokens").asInt());

        r = http.post("/v1/generate", """
                {"prompt": "Dear support,", "max_new_tokens": 20, "temperature": 0}""");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode g = Http.json(r);
        assertEquals(expected.text(), g.path("text").asText());
        assertEquals(expected.tokens().length, g.path("usage").path("completion_tokens").asInt());
        assertTrue(g.path("latency_ms").asDouble() > 0);
    }

    @Test
    void streamedCompletionIsServerSentEventsEndingWithDone() throws Exception {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        Generation expected = ref.greedy(ref.promptIds("Hello"), 16, List.of());
        HttpResponse<String> r = http.post("/v1/completions", """
                {"prompt": "Hello", "max_tokens": 16, "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}""");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<String> data = r.body().lines().filter(l -> !l.isEmpty()).toList();
        assertTrue(data.stream().allMatch(l -> l.startsWith("data: ")), r.body());
        assertEquals("data: [DONE]", data.getLast());
        StringBuilder text = new StringBuilder();
        JsonNode usage = null;
        for (String line : data.subList(0, data.size() - 1)) {
            JsonNode chunk = JsonBody.MAPPER.readTree(line.substring(6));
            assertEquals("text_completion", chunk.path("object").asText());
            if (chunk.has("usage")) {
                usage = chunk.path("usage");
            }
            chunk.path("choices").forEach(c -> text.append(c.path("text").asText()));
        }
        assertEquals(expected.text(), text.toString());
        assertNotNull(usage);
        assertEquals(expected.tokens().length, usage.path("completion_tokens").asInt());
    }

    @Test
    void concurrentRequestsEachGetTheirOwnAnswer() throws Exception {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        List<String> prompts = List.of("Refund please", "App crashes", "Change my email", "Where is my parcel");
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (String p : prompts) {
            ObjectNodeBuilder body = new ObjectNodeBuilder().put("prompt", p).put("max_new_tokens", 24).put("temperature", 0);
            pending.add(Http.CLIENT.sendAsync(http.builder("/v1/generate").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.json())).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < prompts.size(); i++) {
            HttpResponse<String> r = pending.get(i).get();
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(ref.greedy(ref.promptIds(prompts.get(i)), 24, List.of()).text(), Http.json(r).path("text").asText(), prompts.get(i));
        }
    }

    @Test
    void stopStringCutsTheTextAsInProcess() {
        TinyDecoder.Reference ref = TinyDecoder.reference();
        int[] ids = ref.promptIds("Order 123");
        String full = ref.greedy(ids, 40, List.of()).text();
        assertTrue(full.length() > 12, "the reference text is long enough to hold a stop string: " + full);
        String stop = full.substring(8, 11);
        Generation expected = ref.greedy(ids, 40, List.of(stop));
        assertEquals(full.substring(0, full.indexOf(stop)), expected.text());

        ObjectNodeBuilder body = new ObjectNodeBuilder().put("prompt", "Order 123").put("max_tokens", 40).put("temperature", 0);
        body.node.putArray("stop").add(stop).add("never-appears-in-the-output");
        JsonNode c = Http.json(http.post("/v1/completions", body.json()));
        assertEquals(expected.text(), c.path("choices").get(0).path("text").asText());
        assertEquals("stop", c.path("choices").get(0).path("finish_reason").asText());
        assertFalse(c.path("choices").get(0).path("text").asText().contains(stop));
    }

    @Test
    void badInputIs400NamingTheField() {
        assertBad("/v1/chat/completions", "{\"model\": \"tiny-llama\"}", "messages");
        assertBad("/v1/chat/completions", "{\"messages\": \"hello\"}", "messages");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", "max_tokens");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "temperature");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 0}", "top_p");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}", "messages[0].role");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "messages[0].content");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 5}", "stop");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"seed\": 1.5}", "seed");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {}}", "logit_bias");
        assertBad("/v1/completions", "{\"prompt\": [1, 2]}", "prompt");
        assertBad("/v1/generate", "{\"max_new_tokens\": 5}", "prompt");
        assertBad("/v1/generate", "{\"prompt\": \"hi\", \"max_new_tokens\": -3}", "max_new_tokens");
        HttpResponse<String> r = http.post("/v1/generate", "{\"prompt\": \"hi\", \"model\": \"no-such-model\"}");
        assertEquals(404, r.statusCode(), r.body());
        r = http.post("/v1/classify", "{\"text\": \"hi\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(Http.json(r).path("error").path("message").asText().contains("classification heads"), r.body());
    }

    @Test
    void promptLongerThanTheContextIs400EvenWhenStreaming() {
        String longText = "order number 12345 ".repeat(400);
        assertBad("/v1/completions", "{\"prompt\": \"" + longText + "\", \"stream\": true}", "prompt");
        assertBad("/v1/generate", "{\"prompt\": \"" + longText + "\"}", "prompt");
        assertBad("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + longText + "\"}], \"stream\": true}",
                "messages");
    }

    private static void assertBad(String path, String json, String field) {
        HttpResponse<String> r = http.post(path, json);
        assertEquals(400, r.statusCode(), json + " -> " + r.body());
        JsonNode error = Http.json(r).path("error");
        assertEquals(field, error.path("param").asText(), r.body());
        assertTrue(error.path("message").asText().contains(field), r.body());
    }

    @Test
    void modelsListsTheDecoderAsGenerating() {
        JsonNode m = Http.json(http.get("/v1/models")).path("data").get(0);
        assertEquals(TinyDecoder.NAME, m.path("id").asText());
        assertEquals("generate", m.path("capabilities").get(0).asText());
    }

    @Test
    void overCapacityIs429WithRetryAfter() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        ServedModel base = loaded.models().all().getFirst();
        ServedModels slow = new ServedModels(List.of(ServedModel.base(TinyDecoder.NAME, null,
                new TinyDecoder.Paced(base.generator(), 20, tokens))));
        try (SupportServer busy = new SupportServer(ServerConfig.defaults(), slow, Policy.none(), AccessLog.off(),
                new ConcurrencyLimit(1, 0)).start()) {
            Http client = new Http(busy.port());
            var first = Http.CLIENT.sendAsync(client.builder("/v1/generate").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\", \"max_new_tokens\": 40, \"temperature\": 0}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long until = System.nanoTime() + 10_000_000_000L;
            while (tokens.get() == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertTrue(tokens.get() > 0, "the first request is generating");
            HttpResponse<String> second = client.post("/v1/generate", "{\"prompt\": \"hi\", \"max_new_tokens\": 5}");
            assertEquals(429, second.statusCode(), second.body());
            assertEquals("1", second.headers().firstValue("Retry-After").orElseThrow());
            assertEquals("rate_limit_error", Http.json(second).path("error").path("type").asText());
            assertEquals(200, first.get().statusCode());
        }
    }

    @Test
    void sameSeedSamplesTheSameText() {
        String body = "{\"prompt\": \"Hi\", \"max_new_tokens\": 24, \"temperature\": 0.9, \"top_p\": 0.95, \"seed\": 11}";
        JsonNode a = Http.json(http.post("/v1/generate", body));
        JsonNode b = Http.json(http.post("/v1/generate", body));
        assertEquals(a.path("text").asText(), b.path("text").asText());
        assertEquals(a.path("usage").path("completion_tokens").asInt(), b.path("usage").path("completion_tokens").asInt());
    }

    @Test
    void generationPastTheRequestTimeoutIs504() {
        ServedModel base = loaded.models().all().getFirst();
        ServedModels slow = new ServedModels(List.of(ServedModel.base(TinyDecoder.NAME, null,
                new TinyDecoder.Paced(base.generator(), 20, new AtomicInteger()))));
        ServerConfig config = ServerConfig.defaults().withTimeouts(java.time.Duration.ofMillis(150), java.time.Duration.ofSeconds(5));
        try (SupportServer timed = new SupportServer(config, slow, Policy.none(), AccessLog.off()).start()) {
            HttpResponse<String> r = new Http(timed.port()).post("/v1/generate", "{\"prompt\": \"hi\", \"max_new_tokens\": 200, \"temperature\": 0}");
            assertEquals(504, r.statusCode(), r.body());
            assertEquals("timeout_error", Http.json(r).path("error").path("type").asText());
        }
    }

    @Test
    void gracefulStopLetsAStreamInFlightFinish() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        ServedModel base = loaded.models().all().getFirst();
        ServedModels slow = new ServedModels(List.of(ServedModel.base(TinyDecoder.NAME, null,
                new TinyDecoder.Paced(base.generator(), 10, tokens))));
        SupportServer draining = new SupportServer(ServerConfig.defaults(), slow, Policy.none(), AccessLog.off()).start();
        var response = Http.CLIENT.sendAsync(new Http(draining.port()).builder("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\", \"max_tokens\": 30, \"temperature\": 0, \"stream\": true}")).build(),
                HttpResponse.BodyHandlers.ofString());
        long until = System.nanoTime() + 10_000_000_000L;
        while (tokens.get() == 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        draining.stop();
        HttpResponse<String> r = response.get();
        assertEquals(200, r.statusCode());
        assertTrue(r.body().strip().endsWith("data: [DONE]"), r.body());
        assertFalse(r.body().contains("\"error\""), r.body());
    }

    @Test
    void clientDisconnectStopsGeneration() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        ServedModel base = loaded.models().all().getFirst();
        ServedModels slow = new ServedModels(List.of(ServedModel.base(TinyDecoder.NAME, null,
                new TinyDecoder.Paced(base.generator(), 10, tokens))));
        try (SupportServer paced = new SupportServer(ServerConfig.defaults(), slow, Policy.none(), AccessLog.off()).start()) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest request = new Http(paced.port()).builder("/v1/chat/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"messages": [{"role": "user", "content": "tell me a long story"}], "max_tokens": 400, "temperature": 0.8, "seed": 5, "stream": true}""")).build();
            HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, response.statusCode());
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                int events = 0;
                while (events < 3) {
                    String line = reader.readLine();
                    assertNotNull(line, "the stream ended before the client left");
                    if (line.startsWith("data: ")) {
                        events++;
                    }
                }
            } // closing the body drops the connection mid-stream
            long until = System.nanoTime() + 10_000_000_000L;
            while (paced.inFlight() > 0 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(0, paced.inFlight(), "the request ended after the client left");
            int after = tokens.get();
            Thread.sleep(200);
            assertEquals(after, tokens.get(), "no tokens are generated for a client that left");
            assertTrue(after < 400, "generation stopped early: " + after + " tokens");
            assertEquals(1.0, paced.registry().counter("supportlm.generation.disconnects", "model", TinyDecoder.NAME).count());
        }
    }

    /** Builds a JSON body with Jackson so that stop strings with any characters are escaped right. */
    private static final class ObjectNodeBuilder {
        final com.fasterxml.jackson.databind.node.ObjectNode node = JsonBody.MAPPER.createObjectNode();

        ObjectNodeBuilder put(String k, String v) {
            node.put(k, v);
            return this;
        }

        ObjectNodeBuilder put(String k, int v) {
            node.put(k, v);
            return this;
        }

        String json() {
            return node.toString();
        }
    }
}
