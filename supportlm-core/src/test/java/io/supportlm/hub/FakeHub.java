package io.supportlm.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local HTTP server that answers like the Hugging Face Hub for two tiny repositories: {@code acme/tiny}
 * (public) and {@code acme/secret} (private, needs {@link #TOKEN}). Small files come straight from
 * {@code /resolve/} with their git blob id as ETag; LFS files answer {@code /resolve/} with a 302 to
 * {@code /cdn/<sha256>} on another host name ({@code localhost} instead of {@code 127.0.0.1}, as the real
 * hub sends LFS downloads to its CDN) and carry {@code X-Linked-Etag} / {@code X-Linked-Size}. The CDN honours
 * {@code Range}. Switches make it cut bodies half-way, corrupt them, ignore ranges, or list a file it cannot
 * serve. {@code acme/renamed} answers every request with a relative redirect to {@code acme/tiny}, as the hub
 * does for renamed repositories. Every request is logged.
 */
final class FakeHub implements AutoCloseable {
    static final String COMMIT = "4f3c2b1a09876543210fedcba9876543210fedcb";
    static final String TOKEN = "hf_test_token_123";

    /** One request as the server saw it. */
    record Request(String method, String path, String range, String authorization) { }

    private record RepoFile(String path, byte[] content, boolean lfs) {
        String etag() {
            return lfs ? sha256(content) : gitBlobId(content);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Cut the next N CDN bodies after half of what they promise. */
    volatile int cutNextBodies;
    /** Flip one byte of every CDN body. */
    volatile boolean corruptBodies;
    /** Answer Range requests with the whole file (HTTP 200), as some servers do. */
    volatile boolean ignoreRange;
    /** List a file "ghost.json" that /resolve/ answers with 404 EntryNotFound. */
    volatile boolean listGhostFile;
    /** Bytes of file bodies sent by the CDN and /resolve/ so far. */
    volatile long bodyBytesSent;

    private final HttpServer server;
    private final Map<String, List<RepoFile>> repos = new LinkedHashMap<>();

    FakeHub() throws IOException {
        Random random = new Random(42);
        byte[] weights = new byte[300_000];
        random.nextBytes(weights);
        byte[] legacyWeights = new byte[50_000];
        random.nextBytes(legacyWeights);
        List<RepoFile> tiny = List.of(
                new RepoFile("config.json", "{\"model_type\": \"llama\", \"hidden_size\": 64}\n".getBytes(StandardCharsets.UTF_8), false),
                new RepoFile("tokenizer.json", "{\"version\": \"1.0\", \"model\": {\"type\": \"BPE\"}}\n".getBytes(StandardCharsets.UTF_8), false),
                new RepoFile("model.safetensors", weights, true),
                new RepoFile("pytorch_model.bin", legacyWeights, true),
                new RepoFile("sub/extra.json", "{\"nested\": true}\n".getBytes(StandardCharsets.UTF_8), false));
        repos.put("acme/tiny", tiny);
        repos.put("acme/secret", List.of(
                new RepoFile("config.json", "{\"secret\": 1}\n".getBytes(StandardCharsets.UTF_8), false),
                new RepoFile("model.safetensors", Arrays.copyOf(weights, 1000), true)));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    byte[] content(String repo, String path) {
        return file(repo, path).content();
    }

    String etag(String repo, String path) {
        return file(repo, path).etag();
    }

    /** Requests that transferred a file body: GETs of /resolve/ for small files and of /cdn/. */
    List<Request> bodyRequests() {
        return requests.stream().filter(r -> r.method().equals("GET")
                && (r.path().startsWith("/cdn/") || r.path().contains("/resolve/"))).toList();
    }

    List<Request> requestsTo(String pathPrefix) {
        return requests.stream().filter(r -> r.path().startsWith(pathPrefix)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private static final Pattern REVISION_API = Pattern.compile("/api/models/([^/]+/[^/]+)/revision/([^/]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern CDN = Pattern.compile("/cdn/([0-9a-f]{64})");

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String rawPath = exchange.getRequestURI().getRawPath();
            String path = URLDecoder.decode(rawPath, StandardCharsets.UTF_8);
            requests.add(new Request(exchange.getRequestMethod(), rawPath,
                    exchange.getRequestHeaders().getFirst("Range"),
                    exchange.getRequestHeaders().getFirst("Authorization")));
            if (rawPath.startsWith("/api/models/acme/renamed/") || rawPath.startsWith("/acme/renamed/")) {
                // A renamed repository: the hub answers with a relative redirect to the new name.
                exchange.getResponseHeaders().set("Location", rawPath.replace("/acme/renamed/", "/acme/tiny/"));
                exchange.sendResponseHeaders(307, -1);
                return;
            }
            Matcher m;
            if ((m = REVISION_API.matcher(rawPath)).matches()) {
                revisionInfo(exchange, m.group(1), URLDecoder.decode(m.group(2), StandardCharsets.UTF_8));
            } else if ((m = CDN.matcher(path)).matches()) {
                cdn(exchange, m.group(1));
            } else if ((m = RESOLVE.matcher(path)).matches()) {
                resolve(exchange, m.group(1), m.group(2), m.group(3));
            } else {
                error(exchange, 404, null);
            }
        }
    }

    private boolean refuse(HttpExchange exchange, String repo, String revision) throws IOException {
        if (!repos.containsKey(repo)) {
            error(exchange, 401, "RepoNotFound"); // the hub answers 401 for unknown repos to anonymous users
            return true;
        }
        if (repo.equals("acme/secret") && !("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            error(exchange, 401, "RepoNotFound");
            return true;
        }
        if (!revision.equals("main") && !revision.equals(COMMIT)) {
            error(exchange, 404, "RevisionNotFound");
            return true;
        }
        return false;
    }

    private void revisionInfo(HttpExchange exchange, String repo, String revision) throws IOException {
        if (refuse(exchange, repo, revision)) {
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + repo + "\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
        List<RepoFile> files = new ArrayList<>(repos.get(repo));
        if (listGhostFile) {
            files.add(new RepoFile("ghost.json", new byte[0], false));
        }
        for (int i = 0; i < files.size(); i++) {
            RepoFile f = files.get(i);
            json.append(i == 0 ? "" : ",").append("{\"rfilename\":\"").append(f.path()).append("\"");
            if (f.lfs()) {
                json.append(",\"blobId\":\"").append(gitBlobId(("pointer " + f.path()).getBytes(StandardCharsets.UTF_8)))
                        .append("\",\"size\":").append(f.content().length)
                        .append(",\"lfs\":{\"sha256\":\"").append(f.etag()).append("\",\"size\":").append(f.content().length)
                        .append(",\"pointerSize\":134}");
            } else {
                json.append(",\"blobId\":\"").append(f.etag()).append("\",\"size\":").append(f.content().length);
            }
            json.append("}");
        }
        json.append("]}");
        byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
    }

    private void resolve(HttpExchange exchange, String repo, String revision, String path) throws IOException {
        if (refuse(exchange, repo, revision)) {
            return;
        }
        RepoFile file = repos.get(repo).stream().filter(f -> f.path().equals(path)).findFirst().orElse(null);
        if (file == null) {
            error(exchange, 404, "EntryNotFound");
            return;
        }
        var headers = exchange.getResponseHeaders();
        headers.set("X-Repo-Commit", COMMIT);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (file.lfs()) {
            headers.set("ETag", "\"" + gitBlobId(("pointer " + path).getBytes(StandardCharsets.UTF_8)) + "\"");
            headers.set("X-Linked-Etag", "\"" + file.etag() + "\"");
            headers.set("X-Linked-Size", String.valueOf(file.content().length));
            headers.set("Location", "http://localhost:" + server.getAddress().getPort() + "/cdn/" + file.etag());
            exchange.sendResponseHeaders(302, -1);
            return;
        }
        headers.set("ETag", "\"" + file.etag() + "\"");
        if (head) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, file.content().length);
        exchange.getResponseBody().write(file.content());
        bodyBytesSent += file.content().length;
    }

    private void cdn(HttpExchange exchange, String sha256) throws IOException {
        RepoFile file = repos.values().stream().flatMap(List::stream).filter(f -> f.lfs() && f.etag().equals(sha256))
                .findFirst().orElse(null);
        if (file == null) {
            error(exchange, 404, null);
            return;
        }
        byte[] content = file.content();
        if (corruptBodies) {
            content = content.clone();
            content[content.length / 3] ^= 0x5a;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        int start = 0;
        if (range != null && !ignoreRange) {
            Matcher m = Pattern.compile("bytes=(\\d+)-").matcher(range);
            if (!m.matches()) {
                error(exchange, 400, null);
                return;
            }
            start = Integer.parseInt(m.group(1));
            if (start >= content.length) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Range",
                    "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = content.length - start;
        exchange.sendResponseHeaders(start > 0 ? 206 : 200, length);
        OutputStream out = exchange.getResponseBody();
        if (cutNextBodies > 0) {
            cutNextBodies--;
            out.write(content, start, length / 2);
            out.flush();
            bodyBytesSent += length / 2;
            // Closing the exchange now, short of the promised Content-Length, drops the connection mid-body.
            return;
        }
        out.write(content, start, length);
        bodyBytesSent += length;
    }

    private static void error(HttpExchange exchange, int status, String errorCode) throws IOException {
        if (errorCode != null) {
            exchange.getResponseHeaders().set("X-Error-Code", errorCode);
        }
        byte[] body = ("{\"error\":\"" + (errorCode == null ? "error" : errorCode) + "\"}").getBytes(StandardCharsets.UTF_8);
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    private RepoFile file(String repo, String path) {
        return repos.get(repo).stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
    }

    static String sha256(byte[] content) {
        return hex("SHA-256", new byte[0], content);
    }

    /** What {@code git hash-object} prints: SHA-1 of "blob <size>\0" and the content. */
    static String gitBlobId(byte[] content) {
        return hex("SHA-1", ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII), content);
    }

    private static String hex(String algorithm, byte[] prefix, byte[] content) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            md.update(prefix);
            return HexFormat.of().formatHex(md.digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
