package io.supportlm.hub;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Where the hub is, who we are to it, where the cache lives, and whether the network may be used.
 * {@link #fromEnvironment} reads the variables huggingface_hub reads, so both tools agree; tests and the
 * CLI's options override single fields with the {@code with…} methods.
 *
 * @param endpoint     hub base URL, default {@code https://huggingface.co} ({@code HF_ENDPOINT})
 * @param token        access token sent as {@code Authorization: Bearer}, or null ({@code HF_TOKEN})
 * @param cacheDir     cache root ({@code HF_HUB_CACHE}, see {@link HubCache#defaultRoot})
 * @param offline      use the cache only, never the network ({@code HF_HUB_OFFLINE=1})
 * @param timeout      connect timeout and the wait for response headers (not for a whole body)
 * @param maxAttempts  tries per file download; each retry resumes with a Range request
 */
public record HubSettings(URI endpoint, String token, Path cacheDir, boolean offline, Duration timeout, int maxAttempts) {
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final Set<String> TRUE_VALUES = Set.of("1", "on", "yes", "true");

    public HubSettings {
        endpoint = checkEndpoint(endpoint);
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (token != null && (token.contains("\n") || token.contains("\r"))) {
            throw new IllegalArgumentException("HF_TOKEN contains a line break");
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("cache directory is null");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
    }

    /** Settings from this process's environment. */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /**
     * Settings from {@code env}: {@code HF_ENDPOINT}; {@code HF_TOKEN} (or the older
     * {@code HUGGING_FACE_HUB_TOKEN}, or the token file {@code $HF_TOKEN_PATH}, default
     * {@code $HF_HOME/token}, that {@code hf auth login} writes); the cache root; {@code HF_HUB_OFFLINE}.
     */
    public static HubSettings fromEnvironment(Map<String, String> env) {
        String endpointText = env.get("HF_ENDPOINT");
        URI endpoint = endpointText == null || endpointText.isBlank() ? DEFAULT_ENDPOINT : parseEndpoint(endpointText, "HF_ENDPOINT");
        String offlineText = env.getOrDefault("HF_HUB_OFFLINE", "");
        boolean offline = TRUE_VALUES.contains(offlineText.strip().toLowerCase(Locale.ROOT));
        return new HubSettings(endpoint, tokenFrom(env), HubCache.defaultRoot(env), offline, Duration.ofSeconds(30), 5);
    }

    /** Parses an endpoint URL given by a user, naming where it came from in the error. */
    public static URI parseEndpoint(String text, String source) {
        try {
            return checkEndpoint(URI.create(text.strip()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + " '" + text + "' is not an http(s) URL: " + e.getMessage(), e);
        }
    }

    public HubSettings withEndpoint(URI newEndpoint) {
        return new HubSettings(newEndpoint, token, cacheDir, offline, timeout, maxAttempts);
    }

    public HubSettings withToken(String newToken) {
        return new HubSettings(endpoint, newToken, cacheDir, offline, timeout, maxAttempts);
    }

    public HubSettings withCacheDir(Path newCacheDir) {
        return new HubSettings(endpoint, token, newCacheDir, offline, timeout, maxAttempts);
    }

    public HubSettings withOffline(boolean newOffline) {
        return new HubSettings(endpoint, token, cacheDir, newOffline, timeout, maxAttempts);
    }

    public HubSettings withTimeout(Duration newTimeout) {
        return new HubSettings(endpoint, token, cacheDir, offline, newTimeout, maxAttempts);
    }

    @Override
    public String toString() { // never print the token
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "set") + ", cacheDir="
                + cacheDir + ", offline=" + offline + ", timeout=" + timeout + ", maxAttempts=" + maxAttempts + "]";
    }

    private static String tokenFrom(Map<String, String> env) {
        for (String name : new String[] {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        String pathText = env.get("HF_TOKEN_PATH");
        Path tokenFile = pathText != null && !pathText.isBlank()
                ? HubCache.expandHome(pathText) : HubCache.huggingFaceHome(env).resolve("token");
        if (!Files.isRegularFile(tokenFile)) {
            return null;
        }
        try {
            String value = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            return value.isEmpty() ? null : value;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Hugging Face token file " + tokenFile, e);
        }
    }

    private static URI checkEndpoint(URI uri) {
        if (uri == null) {
            throw new IllegalArgumentException("endpoint is null");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("endpoint '" + uri + "' must be an http:// or https:// URL with a host");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("endpoint '" + uri + "' must not have a query or fragment");
        }
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }
}
