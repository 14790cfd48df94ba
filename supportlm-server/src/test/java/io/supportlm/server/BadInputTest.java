package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.server.policy.Policy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad requests get the right 4xx with a JSON error naming the problem, and the server stays healthy. */
class BadInputTest {
    static final String KEY = "sk-test-0123456789abcdef";
    static SupportServer server;
    static Http http;

    @BeforeAll
    static void start() {
        server = new SupportServer(ServerConfig.defaults().withLimits(16 * 1024, 2_000, 4).withApiKeys(Set.of(KEY, "second-key")),
                TinyModels.models(), Policy.none(), AccessLog.off()).start();
        http = new Http(server.port(), KEY);
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    @AfterEach
    void serverStaysHealthy() {
        assertEquals(200, http.get("/healthz").statusCode());
        HttpResponse<String> ok = http.post("/v1/classify", "{\"text\": \"still fine\"}");
        assertEquals(200, ok.statusCode(), ok.body());
    }

    /** Asserts the status, a JSON error body whose message contains {@code fragment}, and no stack trace. */
    static JsonNode assertError(HttpResponse<String> r, int status, String param, String fragment) {
        assertEquals(status, r.statusCode(), r.body());
        assertFalse(r.body().contains("\tat ") || r.body().contains("Exception") || r.body().contains(".java:"),
                "no stack trace or exception names: " + r.body());
        JsonNode error = Http.json(r).get("error");
        assertTrue(error.get("message").asText().contains(fragment), error.toString());
        if (param == null) {
            assertTrue(error.get("param").isNull(), error.toString());
        } else {
            assertEquals(param, error.get("param").asText(), error.toString());
        }
        return error;
    }

    @Test
    void malformedJsonIs400WithThePosition() {
        assertError(http.post("/v1/classify", "{\"text\": \"unterminated"), 400, null, "malformed JSON at line 1");
        assertError(http.post("/v1/classify", "{\"text\": \"a\"} trailing"), 400, null, "malformed JSON");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"text\": \"b\"}"), 400, null, "Duplicate field 'text'");
        assertError(http.post("/v1/classify", "[\"text\"]"), 400, null, "must be a JSON object");
        assertError(http.post("/v1/classify", ""), 400, null, "empty");
        assertError(http.post("/v1/classify", "{\"text\": " + "[".repeat(5000) + "]".repeat(5000) + "}"), 400, null, "");
    }

    @Test
    void wrongTypesAndMissingFieldsNameTheField() {
        assertError(http.post("/v1/classify", "{\"text\": 42}"), 400, "text", "must be a string, got an integer");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"top_k\": \"3\"}"), 400, "top_k", "must be an integer, got a string");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"top_k\": 1.5}"), 400, "top_k", "must be an integer, got a number");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"top_k\": 0}"), 400, "top_k", "between 1 and");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"top_k\": 99999999999}"), 400, "top_k", "out of range");
        assertError(http.post("/v1/classify", "{}"), 400, "text", "is required");
        assertError(http.post("/v1/classify", "{\"text\": \"   \"}"), 400, "text", "must not be blank");
        assertError(http.post("/v1/classify", "{\"subject\": \"Hi\"}"), 400, "body", "is required with 'subject'");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"body\": \"b\"}"), 400, "text", "not both");
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"temperature\": 1}"), 400, "temperature", "unknown field");
        assertError(http.post("/v1/classify", "{\"text\": \"" + "x".repeat(2_001) + "\"}"), 400, "text", "at most 2000");
        assertError(http.post("/v1/classify/batch", "{\"items\": {}}"), 400, "items", "must be an array, got an object");
        assertError(http.post("/v1/classify/batch", "{\"items\": []}"), 400, "items", "must not be empty");
        assertError(http.post("/v1/classify/batch", "{\"items\": [{\"text\": \"a\"}, 7]}"), 400, "items[1]", "must be an object");
        assertError(http.post("/v1/classify/batch", "{\"items\": [{\"text\": \"a\"}, {\"body\": null}]}"), 400, "items[1].text", "is required");
        assertError(http.post("/v1/classify/batch", "{\"items\": [{\"text\": \"a\", \"x\": 1}]}"), 400, "items[0].x", "unknown field");
        assertError(http.post("/v1/classify/batch", "{\"items\": [" + "{\"text\": \"a\"},".repeat(4) + "{\"text\": \"a\"}]}"),
                400, "items", "at most 4");
    }

    @Test
    void invalidUtf8Is400() {
        byte[] prefix = "{\"text\": \"caf".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[prefix.length + 3];
        System.arraycopy(prefix, 0, body, 0, prefix.length);
        body[prefix.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
        body[prefix.length + 1] = (byte) 0x28;
        body[prefix.length + 2] = '"';
        assertError(http.postBytes("/v1/classify", body), 400, null, "not valid UTF-8");
    }

    @Test
    void unpairedSurrogatesInStringsAre400() {
        assertError(http.post("/v1/classify", "{\"text\": \"broken \\ud800 text\"}"), 400, "text", "unpaired surrogate");
        assertError(http.post("/v1/classify/batch", "{\"items\": [{\"body\": \"\\udc00\"}]}"), 400, "items[0].body", "unpaired surrogate");
        assertEquals(200, http.post("/v1/classify", "{\"text\": \"emoji \\ud83d\\ude00 is fine\"}").statusCode());
    }

    @Test
    void hugeBodiesAre413() {
        String big = "{\"text\": \"" + "a".repeat(64 * 1024) + "\"}";
        assertError(http.post("/v1/classify", big), 413, null, "larger than the limit of 16384 bytes");
        // Without a Content-Length (chunked), the limit holds while reading.
        HttpResponse<String> chunked = Http.send(http.builder("/v1/classify").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build());
        assertError(chunked, 413, null, "larger than the limit");
    }

    @Test
    void unknownAndInvalidModelNames() {
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"model\": \"support-v9\"}"), 404, "model", "is not served");
        for (String name : List.of("../../etc/passwd", "support/v1", "..", ".hidden", "a\\\\b", "", "x".repeat(65))) {
            assertError(http.post("/v1/classify", "{\"text\": \"a\", \"model\": \"" + name + "\"}"), 400, "model", "not a valid model name");
        }
        assertError(http.post("/v1/classify", "{\"text\": \"a\", \"model\": \"tiny-bert\"}"), 400, "model", "no classification heads");
    }

    @Test
    void apiKeysAreRequiredWhenConfigured() {
        Http anonymous = new Http(server.port());
        HttpResponse<String> missing = anonymous.post("/v1/classify", "{\"text\": \"a\"}");
        assertError(missing, 401, null, "missing API key");
        assertEquals("Bearer", missing.headers().firstValue("WWW-Authenticate").orElse(null));
        assertError(new Http(server.port(), KEY + "x").post("/v1/classify", "{\"text\": \"a\"}"), 401, null, "invalid API key");
        assertError(new Http(server.port(), KEY.substring(1)).get("/v1/models"), 401, null, "invalid API key");
        assertError(Http.send(anonymous.builder("/metrics").header("Authorization", "Basic " + KEY).build()), 401, null, "invalid");
        assertEquals(200, new Http(server.port(), "second-key").get("/v1/models").statusCode());
        assertEquals(200, anonymous.get("/healthz").statusCode(), "probes need no key");
        assertEquals(200, anonymous.get("/readyz").statusCode());
    }

    @Test
    void unknownRoutesWrongMethodsAndContentTypes() {
        assertError(http.get("/v1/nothing"), 404, null, "no route GET /v1/nothing");
        assertError(http.get("/v1/classify"), 405, null, "not allowed");
        HttpResponse<String> form = Http.send(http.builder("/v1/classify").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"a\"}")).build());
        assertError(form, 415, null, "Content-Type must be application/json");
    }

    @Test
    void corsIsOffUnlessConfigured() {
        HttpResponse<String> r = Http.send(http.builder("/v1/models").header("Origin", "https://evil.example").build());
        assertTrue(r.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }
}
