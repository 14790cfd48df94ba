package io.supportlm.data.label;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How to reach the teacher: any OpenAI-compatible chat-completions endpoint.
 *
 * @param baseUrl           e.g. {@code https://api.openai.com/v1} or {@code http://localhost:8000/v1};
 *                          {@code /chat/completions} is appended unless already there
 * @param model             model name sent with each request
 * @param apiKey            bearer token, or null for local servers without auth
 * @param concurrency       requests in flight at once
 * @param requestsPerSecond upper bound on the request rate (0 = unlimited)
 * @param maxAttempts       tries per text, covering HTTP failures (429, 5xx, I/O) and invalid answers
 * @param timeout           per-request timeout
 * @param cacheDir          where valid answers are kept, so a rerun makes no request for them
 * @param jsonMode          send {@code response_format: {type: json_object}}
 */
public record TeacherConfig(URI baseUrl, String model, String apiKey, int concurrency, double requestsPerSecond,
                            int maxAttempts, Duration timeout, Path cacheDir, boolean jsonMode) {
    public TeacherConfig {
        if (baseUrl == null || baseUrl.getScheme() == null || !baseUrl.getScheme().startsWith("http")) {
            throw new IllegalArgumentException("teacher URL must be an http(s) URL, got " + baseUrl);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("teacher model name is required");
        }
        if (concurrency < 1 || maxAttempts < 1 || requestsPerSecond < 0) {
            throw new IllegalArgumentException("concurrency and attempts must be >= 1 and the rate >= 0");
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("a cache directory is required");
        }
        timeout = timeout == null ? Duration.ofSeconds(60) : timeout;
    }

    public URI completionsUri() {
        String s = baseUrl.toString().replaceAll("/+$", "");
        return URI.create(s.endsWith("/chat/completions") ? s : s + "/chat/completions");
    }
}
