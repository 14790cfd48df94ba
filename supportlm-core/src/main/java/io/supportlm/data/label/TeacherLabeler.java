package io.supportlm.data.label;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.data.SupportRecord;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Labels records through an OpenAI-compatible chat endpoint ({@link java.net.http.HttpClient}).
 *
 * <p>Per record: look in the cache; else ask, with the label schema in the system prompt, and
 * check the answer (a JSON object, every task present, every value an allowed label). Invalid
 * answers are retried with the error fed back to the model; 429 and 5xx answers and I/O errors
 * are retried after a backoff (honouring {@code Retry-After}); after {@code maxAttempts} the record
 * is reported as a failure, never silently dropped. Requests run {@code concurrency} at a time and
 * no faster than {@code requestsPerSecond}.
 */
public final class TeacherLabeler {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TeacherConfig config;
    private final LabelTasks tasks;
    private final HttpClient http;
    private final String systemPrompt;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger cacheHits = new AtomicInteger();
    private final Object rateLock = new Object();
    private long nextSlotNanos = System.nanoTime();
    /** Backoff before retry k (1-based) is base * 2^(k-1), capped; tests shrink it. */
    private final long backoffBaseMillis;

    public TeacherLabeler(TeacherConfig config, LabelTasks tasks) {
        this(config, tasks, 500);
    }

    TeacherLabeler(TeacherConfig config, LabelTasks tasks, long backoffBaseMillis) {
        this.config = config;
        this.tasks = tasks;
        this.backoffBaseMillis = backoffBaseMillis;
        this.systemPrompt = tasks.systemPrompt();
        this.http = HttpClient.newBuilder().connectTimeout(config.timeout()).build();
    }

    /** @param progress called with the number of records finished so far */
    public LabelingResult label(List<SupportRecord> records, IntConsumer progress) throws IOException, InterruptedException {
        ResponseCache cache = new ResponseCache(config.cacheDir());
        Semaphore inFlight = new Semaphore(config.concurrency());
        AtomicInteger done = new AtomicInteger();
        List<Future<Object>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (SupportRecord r : records) {
                futures.add(pool.submit(() -> {
                    inFlight.acquire();
                    try {
                        return labelOne(r, cache);
                    } finally {
                        inFlight.release();
                        progress.accept(done.incrementAndGet());
                    }
                }));
            }
            List<SupportRecord> labelled = new ArrayList<>();
            List<LabelingResult.Failure> failures = new ArrayList<>();
            for (Future<Object> f : futures) {
                Object o;
                try {
                    o = f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof IOException io) {
                        throw io;
                    }
                    throw new IllegalStateException("labelling failed: " + c, c);
                }
                if (o instanceof SupportRecord rec) {
                    labelled.add(rec);
                } else {
                    failures.add((LabelingResult.Failure) o);
                }
            }
            return new LabelingResult(labelled, failures, requests.get(), cacheHits.get());
        }
    }

    /** Returns the labelled record or a Failure. */
    private Object labelOne(SupportRecord r, ResponseCache cache) throws IOException, InterruptedException {
        String user = r.mainText();
        String key = ResponseCache.key(config.model(), systemPrompt, user);
        Map<String, String> cached = cache.get(key);
        if (cached != null) {
            cacheHits.incrementAndGet();
            return withLabels(r, cached);
        }
        List<String[]> extraTurns = new ArrayList<>(); // (assistant answer, correction) pairs after invalid answers
        String lastAnswer = null;
        String lastError = "no attempt made";
        long delayMillis = 0; // before the next attempt: backoff after HTTP/I-O failures, none after invalid answers
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            if (delayMillis > 0) {
                Thread.sleep(delayMillis);
            }
            delayMillis = Math.min(10_000, backoffBaseMillis << Math.min(10, attempt - 1));
            HttpResponse<String> response;
            try {
                awaitRateSlot();
                requests.incrementAndGet();
                response = http.send(request(user, extraTurns), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                lastAnswer = null;
                lastError = "I/O error: " + e.getMessage();
                continue;
            }
            int status = response.statusCode();
            if (status == 429 || status >= 500) {
                lastAnswer = null;
                lastError = "HTTP " + status;
                long retryAfter = response.headers().firstValueAsLong("Retry-After").orElse(-1);
                if (retryAfter >= 0) {
                    delayMillis = Math.min(30_000, retryAfter * 1000);
                }
                continue;
            }
            if (status != 200) {
                return new LabelingResult.Failure(r.id(), "HTTP " + status + ": " + abbreviate(response.body()), attempt, null);
            }
            String content;
            try {
                content = JSON.readTree(response.body()).path("choices").path(0).path("message").path("content").asText(null);
            } catch (IOException e) {
                content = null;
            }
            if (content == null) {
                delayMillis = 0;
                lastAnswer = null;
                lastError = "response is not a chat completion: " + abbreviate(response.body());
                continue;
            }
            lastAnswer = content;
            try {
                Map<String, String> labels = parseLabels(content);
                cache.put(key, labels);
                return withLabels(r, labels);
            } catch (IllegalArgumentException e) {
                delayMillis = 0;
                lastError = "invalid answer: " + e.getMessage();
                extraTurns.add(new String[] {content, "That answer is invalid: " + e.getMessage()
                        + ". Reply again with only the JSON object, using the allowed labels."});
            }
        }
        return new LabelingResult.Failure(r.id(), lastError, config.maxAttempts(), lastAnswer);
    }

    private HttpRequest request(String user, List<String[]> extraTurns) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", config.model());
        body.put("temperature", 0);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", systemPrompt);
        messages.addObject().put("role", "user").put("content", user);
        for (String[] turn : extraTurns) {
            messages.addObject().put("role", "assistant").put("content", turn[0]);
            messages.addObject().put("role", "user").put("content", turn[1]);
        }
        if (config.jsonMode()) {
            body.putObject("response_format").put("type", "json_object");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(config.completionsUri()).timeout(config.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            b.header("Authorization", "Bearer " + config.apiKey());
        }
        return b.build();
    }

    /**
     * Parses the model's answer: JSON (optionally inside a ``` fence) with every task and an allowed
     * label for each (matched ignoring case, returned in the schema's spelling).
     */
    Map<String, String> parseLabels(String content) {
        String s = content.strip();
        if (s.startsWith("```")) {
            s = s.replaceFirst("^```[a-zA-Z]*\\s*", "").replaceFirst("\\s*```$", "");
        }
        JsonNode node;
        try {
            node = JSON.readTree(s);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON (" + abbreviate(content) + ")");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object (" + abbreviate(content) + ")");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (var e : tasks.tasks().entrySet()) {
            JsonNode v = node.get(e.getKey());
            if (v == null || !v.isValueNode()) {
                throw new IllegalArgumentException("missing key '" + e.getKey() + "'");
            }
            String given = v.asText().strip();
            String match = e.getValue().labels().stream().filter(l -> l.equalsIgnoreCase(given)).findFirst().orElse(null);
            if (match == null) {
                throw new IllegalArgumentException("'" + given + "' is not an allowed label for '" + e.getKey() + "' "
                        + e.getValue().labels());
            }
            labels.put(e.getKey(), match);
        }
        return labels;
    }

    private SupportRecord withLabels(SupportRecord r, Map<String, String> labels) {
        Map<String, String> merged = new LinkedHashMap<>(r.outputs().labels());
        merged.putAll(labels);
        return r.withOutputs(new SupportRecord.Outputs(merged, r.outputs().answer()));
    }

    private void awaitRateSlot() throws InterruptedException {
        if (config.requestsPerSecond() <= 0) {
            return;
        }
        long wait;
        synchronized (rateLock) {
            long now = System.nanoTime();
            long slot = Math.max(now, nextSlotNanos);
            nextSlotNanos = slot + (long) (1e9 / config.requestsPerSecond());
            wait = slot - now;
        }
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 120 ? one.substring(0, 117) + "..." : one;
    }
}
