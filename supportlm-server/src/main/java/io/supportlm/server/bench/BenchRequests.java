package io.supportlm.server.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;

/** The requests the serving benchmark sends, over one shared JDK {@link HttpClient} (HTTP/1.1, virtual threads). */
final class BenchRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchRequests() {}

    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    /** POSTs the bodies in turn; a 200 is a success carrying one unit. */
    static LoadGenerator.Request post(HttpClient client, URI uri, List<byte[]> bodies) {
        if (bodies.isEmpty()) {
            throw new IllegalArgumentException("no request bodies");
        }
        return sequence -> {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get((int) (sequence % bodies.size())))).build();
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? LoadGenerator.Sample.success(1, -1)
                    : LoadGenerator.Sample.failed("HTTP " + r.statusCode() + ": " + snippet(new String(r.body(), StandardCharsets.UTF_8)));
        };
    }

    /**
     * POSTs streaming chat completions ({@code stream: true} with usage) and reads the server-sent
     * events to the end: a success carries the completion tokens of the usage chunk and the time to
     * the first content delta; an error event, a missing usage chunk or a missing {@code [DONE]} fails it.
     */
    static LoadGenerator.Request chatStream(HttpClient client, URI uri, List<byte[]> bodies) {
        if (bodies.isEmpty()) {
            throw new IllegalArgumentException("no request bodies");
        }
        return sequence -> {
            long t0 = System.nanoTime();
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.get((int) (sequence % bodies.size())))).build();
            HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                if (r.statusCode() != 200) {
                    StringBuilder body = new StringBuilder();
                    lines.lines().forEach(body::append);
                    return LoadGenerator.Sample.failed("HTTP " + r.statusCode() + ": " + snippet(body.toString()));
                }
                long firstContent = -1;
                long completionTokens = -1;
                boolean done = false;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring("data: ".length());
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    JsonNode chunk = JSON.readTree(data);
                    if (chunk.has("error")) {
                        return LoadGenerator.Sample.failed("error event: " + snippet(data));
                    }
                    JsonNode choices = chunk.path("choices");
                    if (firstContent < 0 && choices.size() > 0 && !choices.get(0).path("delta").path("content").asText("").isEmpty()) {
                        firstContent = System.nanoTime() - t0;
                    }
                    if (chunk.path("usage").isObject()) {
                        completionTokens = chunk.path("usage").path("completion_tokens").asLong();
                    }
                }
                if (!done || completionTokens < 0) {
                    return LoadGenerator.Sample.failed("stream ended without " + (done ? "a usage chunk" : "[DONE]"));
                }
                return LoadGenerator.Sample.success(completionTokens, firstContent);
            }
        };
    }

    private static String snippet(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
