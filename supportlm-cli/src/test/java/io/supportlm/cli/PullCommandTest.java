package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code supportlm pull} end to end against a small hub-like server: one config file served directly with
 * its git blob id as ETag, one weights file redirected to a CDN path with its SHA-256 as X-Linked-Etag.
 * (The full protocol, errors and resume are covered by the core module's HubClientTest.)
 */
class PullCommandTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final byte[] CONFIG = "{\"model_type\": \"llama\"}\n".getBytes(StandardCharsets.UTF_8);
    private static final byte[] WEIGHTS = new byte[20_000];

    static {
        new Random(7).nextBytes(WEIGHTS);
    }

    @TempDir
    Path cache;

    private HttpServer server;
    private String endpoint;

    @BeforeEach
    void startHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopHub() {
        server.stop(0);
    }

    private record Run(int exitCode, String out, String err) { }

    private Run pull(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            String[] full = new String[args.length + 1];
            full[0] = "pull";
            System.arraycopy(args, 0, full, 1, args.length);
            int code = Main.run(full);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void pullDownloadsIntoTheCacheAndPrintsTheSnapshotFolder() throws IOException {
        Run run = pull("acme/tiny", "--endpoint", endpoint, "--cache-dir", cache.toString());

        assertEquals(0, run.exitCode(), run.err());
        Path snapshot = cache.resolve("models--acme--tiny/snapshots/" + COMMIT);
        assertEquals(snapshot.toString(), run.out().strip(), "stdout is the snapshot folder alone");
        assertArrayEquals(CONFIG, Files.readAllBytes(snapshot.resolve("config.json")));
        assertArrayEquals(WEIGHTS, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertTrue(Files.isSymbolicLink(snapshot.resolve("model.safetensors")));
        assertEquals(COMMIT, Files.readString(cache.resolve("models--acme--tiny/refs/main")));
        assertTrue(run.err().contains("downloaded model.safetensors"), run.err());
    }

    @Test
    void offlineRunFindsTheSameFolderWithTheHubGone() throws IOException {
        Run online = pull("acme/tiny", "--endpoint", endpoint, "--cache-dir", cache.toString());
        server.stop(0);

        Run offline = pull("acme/tiny@main", "--offline", "--endpoint", endpoint, "--cache-dir", cache.toString());

        assertEquals(0, offline.exitCode(), offline.err());
        assertEquals(online.out(), offline.out());
    }

    @Test
    void includeSelectsFiles() {
        Run run = pull("acme/tiny", "--include", "config.json", "--endpoint", endpoint, "--cache-dir", cache.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.exists(cache.resolve("models--acme--tiny/snapshots/" + COMMIT + "/config.json")));
        assertTrue(Files.notExists(cache.resolve("models--acme--tiny/snapshots/" + COMMIT + "/model.safetensors")));
        assertTrue(run.err().contains("no .safetensors"), run.err());
    }

    @Test
    void malformedRepositoryIsBadInput() {
        Run run = pull("../etc/passwd", "--endpoint", endpoint, "--cache-dir", cache.toString());

        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("org/name"), run.err());
    }

    @Test
    void unknownRepositoryIsBadInput() {
        Run run = pull("acme/missing", "--endpoint", endpoint, "--cache-dir", cache.toString());

        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("repository acme/missing not found"), run.err());
    }

    @Test
    void unreachableHubIsAFailureNamingTheEndpoint() throws IOException {
        String dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = "http://127.0.0.1:" + socket.getLocalPort();
        }

        Run run = pull("acme/tiny", "--endpoint", dead, "--cache-dir", cache.toString());

        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains(dead), run.err());
    }

    @Test
    void offlineWithAnEmptyCacheIsAFailure() {
        Run run = pull("acme/tiny", "--offline", "--cache-dir", cache.toString());

        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("not in the cache"), run.err());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            var headers = exchange.getResponseHeaders();
            boolean head = exchange.getRequestMethod().equals("HEAD");
            if (path.equals("/api/models/acme/tiny/revision/main")) {
                String json = "{\"sha\":\"" + COMMIT + "\",\"siblings\":[{\"rfilename\":\"config.json\"},"
                        + "{\"rfilename\":\"model.safetensors\"},{\"rfilename\":\"pytorch_model.bin\"}]}";
                send(exchange, 200, json.getBytes(StandardCharsets.UTF_8));
            } else if (path.equals("/acme/tiny/resolve/" + COMMIT + "/config.json")) {
                headers.set("ETag", "\"" + hex("SHA-1", ("blob " + CONFIG.length + "\0").getBytes(StandardCharsets.US_ASCII), CONFIG) + "\"");
                headers.set("X-Repo-Commit", COMMIT);
                if (head) {
                    exchange.sendResponseHeaders(200, -1);
                } else {
                    send(exchange, 200, CONFIG);
                }
            } else if (path.equals("/acme/tiny/resolve/" + COMMIT + "/model.safetensors")) {
                headers.set("X-Linked-Etag", "\"" + hex("SHA-256", new byte[0], WEIGHTS) + "\"");
                headers.set("X-Linked-Size", String.valueOf(WEIGHTS.length));
                headers.set("X-Repo-Commit", COMMIT);
                headers.set("Location", endpoint + "/cdn/weights");
                exchange.sendResponseHeaders(302, -1);
            } else if (path.equals("/cdn/weights")) {
                send(exchange, 200, WEIGHTS);
            } else {
                headers.set("X-Error-Code", "RepoNotFound");
                exchange.sendResponseHeaders(404, -1);
            }
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
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
