package io.supportlm.server;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * How the server listens and protects itself. Every limit is explicit so that operators see
 * what a request can cost.
 *
 * @param host address to bind (default {@code 127.0.0.1}; {@code 0.0.0.0} in a container)
 * @param port TCP port; 0 picks a free one
 * @param maxBodyBytes larger request bodies are answered 413 (default 1 MiB)
 * @param maxTextChars one input text may have at most this many characters (default 20,000)
 * @param maxBatchItems a {@code /v1/classify/batch} request may carry at most this many items (default 64)
 * @param maxBatch the micro-batcher runs at most this many texts in one forward (default 16)
 * @param maxWait how long the micro-batcher waits to fill a batch (default 5 ms)
 * @param queueCapacity texts waiting per model; beyond it requests get 429 (default 256)
 * @param requestTimeout a classification not done in this time gets 504 (default 30 s)
 * @param shutdownGrace how long a graceful stop waits for in-flight requests (default 30 s)
 * @param apiKeys accepted bearer tokens; empty means no authentication
 * @param corsOrigins origins allowed by CORS; empty means CORS off
 */
public record ServerConfig(String host, int port, long maxBodyBytes, int maxTextChars, int maxBatchItems, int maxBatch,
                           Duration maxWait, int queueCapacity, Duration requestTimeout, Duration shutdownGrace,
                           Set<String> apiKeys, List<String> corsOrigins) {
    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("server host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("server port must be in [0, 65535], got " + port);
        }
        positive("max body bytes", maxBodyBytes);
        positive("max text chars", maxTextChars);
        positive("max batch items", maxBatchItems);
        positive("max batch", maxBatch);
        positive("queue capacity", queueCapacity);
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("max wait must be zero or positive, got " + maxWait);
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, got " + requestTimeout);
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown grace must be zero or positive, got " + shutdownGrace);
        }
        apiKeys = Set.copyOf(apiKeys);
        for (String k : apiKeys) {
            if (k.isBlank()) {
                throw new IllegalArgumentException("an API key must not be blank");
            }
        }
        corsOrigins = List.copyOf(corsOrigins);
    }

    /** Loopback, a free port, the documented defaults, no keys, no CORS. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", 0, 1 << 20, 20_000, 64, 16, Duration.ofMillis(5), 256,
                Duration.ofSeconds(30), Duration.ofSeconds(30), Set.of(), List.of());
    }

    public ServerConfig withPort(int port) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withHost(String host) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withBatching(int maxBatch, Duration maxWait, int queueCapacity) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withLimits(long maxBodyBytes, int maxTextChars, int maxBatchItems) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withTimeouts(Duration requestTimeout, Duration shutdownGrace) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withApiKeys(Set<String> apiKeys) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    public ServerConfig withCorsOrigins(List<String> corsOrigins) {
        return new ServerConfig(host, port, maxBodyBytes, maxTextChars, maxBatchItems, maxBatch, maxWait, queueCapacity,
                requestTimeout, shutdownGrace, apiKeys, corsOrigins);
    }

    private static void positive(String what, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }
}
