package io.supportlm.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * HTTP with the hub's conventions: bearer token (only to the hub's own host, never to the CDN it redirects
 * to), redirects followed by hand, and HTTP failures turned into {@link HubException}s that say what was not
 * found or refused, using the hub's {@code X-Error-Code} header when it sends one.
 */
final class HubHttp {
    static final String USER_AGENT = "supportlm/0.1; java/" + Runtime.version().feature();
    private static final int MAX_REDIRECTS = 5;

    private final HttpClient client;
    private final HubSettings settings;

    HubHttp(HubSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // the hub's headers are on the first response
                .connectTimeout(settings.timeout())
                .build();
    }

    URI endpoint() {
        return settings.endpoint();
    }

    /** {@code <endpoint>/<path>}; {@code path} must already be percent-encoded. */
    URI endpointUri(String encodedPath) {
        return URI.create(settings.endpoint() + "/" + encodedPath);
    }

    /** HEAD without following redirects to other hosts (the CDN); a same-host, relative redirect (renamed repo) is followed. */
    HttpResponse<Void> head(URI uri) throws HubException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpResponse<Void> response = send(request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                    HttpResponse.BodyHandlers.discarding());
            String location = response.headers().firstValue("Location").orElse(null);
            boolean relativeRedirect = isRedirect(response.statusCode()) && location != null
                    && URI.create(location).getHost() == null;
            if (!relativeRedirect || hop >= MAX_REDIRECTS) {
                return response;
            }
            current = current.resolve(location);
        }
    }

    /** GET following every redirect; the token goes only to the endpoint's own host. */
    HttpResponse<InputStream> get(URI uri, String rangeHeader) throws HubException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder builder = request(current);
            if (rangeHeader != null) {
                builder.header("Range", rangeHeader);
            }
            HttpResponse<InputStream> response = send(builder.GET(), HttpResponse.BodyHandlers.ofInputStream());
            String location = response.headers().firstValue("Location").orElse(null);
            if (!isRedirect(response.statusCode()) || location == null) {
                return response;
            }
            closeQuietly(response.body());
            if (hop >= MAX_REDIRECTS) {
                throw new HubException(HubException.Kind.PROTOCOL, "more than " + MAX_REDIRECTS
                        + " redirects starting at " + uri);
            }
            current = current.resolve(location);
        }
    }

    /** GET of a small JSON document, returned as text, or a {@link HubException} for any non-200 answer. */
    String getText(URI uri, RepoId repo, String what) throws HubException {
        HttpResponse<InputStream> response = get(uri, null);
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw statusError(response, repo, null, what);
            }
            return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            if (e instanceof HubException hub) {
                throw hub;
            }
            throw new HubException(HubException.Kind.NETWORK, "reading " + what + " from " + uri + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * The exception for an HTTP error answer. {@code file} is null when the request was about the repository
     * or revision as a whole.
     */
    HubException statusError(HttpResponse<?> response, RepoId repo, String file, String what) {
        int status = response.statusCode();
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        String at = " on " + settings.endpoint();
        boolean tokenSet = settings.token() != null;
        if ("GatedRepo".equals(code) || (status == 403 && !tokenSet)) {
            return new HubException(HubException.Kind.UNAUTHORIZED, repo.id() + " is gated or restricted" + at
                    + " (HTTP " + status + "): accept its conditions on " + settings.endpoint() + "/" + repo.id()
                    + (tokenSet ? " with the account that owns HF_TOKEN" : " and set HF_TOKEN to a read token of that account"));
        }
        if (status == 401 || status == 403) {
            return new HubException(HubException.Kind.UNAUTHORIZED, tokenSet
                    ? "the hub refused HF_TOKEN for " + repo.id() + at + " (HTTP " + status
                            + "): the token is invalid or expired, or its account has no access to this repository"
                    : repo.id() + at + " needs authentication (HTTP " + status
                            + "): it is private, gated or does not exist; if you have access, set HF_TOKEN to a read token");
        }
        if (status == 404) {
            if ("RevisionNotFound".equals(code)) {
                return new HubException(HubException.Kind.NOT_FOUND, "revision '" + repo.revision() + "' not found in "
                        + repo.id() + at + " (check the branch, tag or commit)");
            }
            if (file != null && !"RepoNotFound".equals(code)) {
                return new HubException(HubException.Kind.NOT_FOUND, "file '" + file + "' not found in " + repo.id()
                        + " at revision '" + repo.revision() + "'" + at);
            }
            return new HubException(HubException.Kind.NOT_FOUND, "repository " + repo.id() + " not found" + at
                    + " (check the spelling; a private repository also needs HF_TOKEN)");
        }
        return new HubException(HubException.Kind.PROTOCOL, "the hub at " + settings.endpoint() + " answered HTTP " + status
                + " for " + what + " (" + response.uri() + ")" + (status >= 500 ? "; try again later" : ""));
    }

    private HttpRequest.Builder request(URI uri) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(settings.timeout())
                .header("User-Agent", USER_AGENT);
        if (settings.token() != null && sameOrigin(uri, settings.endpoint())) {
            builder.header("Authorization", "Bearer " + settings.token());
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder builder, HttpResponse.BodyHandler<T> handler) throws HubException {
        HttpRequest request = builder.build();
        try {
            return client.send(request, handler);
        } catch (HttpConnectTimeoutException e) {
            throw new HubException(HubException.Kind.NETWORK, "cannot reach the hub at " + hostOf(request.uri())
                    + ": connection timed out after " + settings.timeout().toSeconds() + " s" + networkHint(), e);
        } catch (HttpTimeoutException e) {
            throw new HubException(HubException.Kind.NETWORK, "the hub at " + hostOf(request.uri())
                    + " did not answer within " + settings.timeout().toSeconds() + " s" + networkHint(), e);
        } catch (ConnectException e) {
            throw new HubException(HubException.Kind.NETWORK, "cannot connect to the hub at " + hostOf(request.uri())
                    + " (connection refused or unreachable)" + networkHint(), e);
        } catch (IOException e) {
            throw new HubException(HubException.Kind.NETWORK, "request to " + request.uri() + " failed: "
                    + Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()) + networkHint(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.NETWORK, "interrupted while talking to " + request.uri(), e);
        }
    }

    private String networkHint() {
        return "; check the endpoint (HF_ENDPOINT or --endpoint, now " + settings.endpoint()
                + ") and the network, or use the cache with --offline / HF_HUB_OFFLINE=1";
    }

    private static String hostOf(URI uri) {
        return uri.getScheme() + "://" + uri.getAuthority();
    }

    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI uri) {
        return uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // the response is being abandoned anyway
        }
    }

    /** Percent-encodes one path segment (RFC 3986 unreserved characters stay as they are). */
    static String encodeSegment(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                    || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    /** Percent-encodes a repo path, keeping its '/' separators. */
    static String encodePath(String path) {
        StringBuilder out = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(encodeSegment(segment));
        }
        return out.toString();
    }
}
