package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubClientTest {
    private static final RepoId TINY = RepoId.parse("acme/tiny");
    private static final RepoId SECRET = RepoId.parse("acme/secret");

    @TempDir
    Path cacheDir;

    private FakeHub hub;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubClient client() {
        return client(null);
    }

    private HubClient client(String token) {
        return new HubClient(new HubSettings(hub.endpoint(), token, cacheDir, false, Duration.ofSeconds(5), 3));
    }

    private Path repoDir() {
        return cacheDir.resolve("models--acme--tiny");
    }

    @Test
    void pullWritesTheHuggingFaceCacheLayout() throws IOException {
        Snapshot snapshot = client().pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);

        assertEquals(FakeHub.COMMIT, snapshot.commit());
        assertEquals(repoDir().resolve("snapshots").resolve(FakeHub.COMMIT), snapshot.directory());
        assertEquals(List.of("config.json", "tokenizer.json", "model.safetensors"), snapshot.files());
        assertEquals(3, snapshot.downloaded());
        assertEquals(FakeHub.COMMIT, Files.readString(repoDir().resolve("refs/main")));

        Set<String> blobs;
        try (Stream<Path> list = Files.list(repoDir().resolve("blobs"))) {
            blobs = list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
        assertEquals(Set.of(hub.etag("acme/tiny", "config.json"), hub.etag("acme/tiny", "tokenizer.json"),
                hub.etag("acme/tiny", "model.safetensors")), blobs, "blobs named by etag, no leftovers");
        assertEquals(64, hub.etag("acme/tiny", "model.safetensors").length(), "LFS blob named by its sha256");
        assertEquals(40, hub.etag("acme/tiny", "config.json").length(), "small file named by its git blob id");

        for (String file : snapshot.files()) {
            Path pointer = snapshot.directory().resolve(file);
            assertTrue(Files.isSymbolicLink(pointer), file + " is a symlink");
            assertEquals(Path.of("../../blobs/" + hub.etag("acme/tiny", file)), Files.readSymbolicLink(pointer),
                    file + " links relatively into blobs/");
            assertArrayEquals(hub.content("acme/tiny", file), Files.readAllBytes(pointer));
        }
        assertFalse(Files.exists(snapshot.directory().resolve("pytorch_model.bin")), "duplicate .bin weights left out");
        assertTrue(hub.requestsTo("/cdn/" + hub.etag("acme/tiny", "pytorch_model.bin")).isEmpty());
    }

    @Test
    void nestedFilesLinkWithOneMoreParentStep() throws IOException {
        Snapshot snapshot = client().pull(TINY, new IncludePatterns(List.of("sub/**")), DownloadListener.NONE);

        assertEquals(List.of("sub/extra.json"), snapshot.files());
        Path pointer = snapshot.directory().resolve("sub/extra.json");
        assertEquals(Path.of("../../../blobs/" + hub.etag("acme/tiny", "sub/extra.json")), Files.readSymbolicLink(pointer));
        assertArrayEquals(hub.content("acme/tiny", "sub/extra.json"), Files.readAllBytes(pointer));
    }

    @Test
    void secondPullFetchesNoFileBodies() throws IOException {
        client().pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);
        int before = hub.requests.size();

        Snapshot again = client().pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);

        assertEquals(0, again.downloaded());
        List<FakeHub.Request> second = hub.requests.subList(before, hub.requests.size());
        assertEquals(1, second.size(), "only the revision listing: " + second);
        assertTrue(second.getFirst().path().startsWith("/api/models/acme/tiny/revision/main"));
    }

    @Test
    void interruptedTransferResumesWithARangeRequest() throws IOException {
        hub.cutNextBodies = 1;
        List<Long> retriesAt = new java.util.ArrayList<>();
        DownloadListener listener = new DownloadListener() {
            @Override
            public void onRetry(String path, long resumeAt, String reason) {
                retriesAt.add(resumeAt);
            }
        };

        Snapshot snapshot = client().pull(TINY, new IncludePatterns(List.of("model.safetensors")), listener);

        String sha = hub.etag("acme/tiny", "model.safetensors");
        List<FakeHub.Request> cdn = hub.requestsTo("/cdn/" + sha);
        assertEquals(2, cdn.size(), "one broken GET, one resumed GET: " + cdn);
        assertNull(cdn.get(0).range());
        int length = hub.content("acme/tiny", "model.safetensors").length;
        long half = length / 2;
        // The server sent half and dropped the connection; the client resumes from what it
        // received, which can be a little less than what was sent when the drop loses bytes in flight.
        assertEquals(1, retriesAt.size(), "one retry: " + retriesAt);
        long resumedAt = retriesAt.getFirst();
        assertTrue(resumedAt > 0 && resumedAt <= half, "resumed at " + resumedAt + " of the " + half + " bytes sent");
        assertEquals("bytes=" + resumedAt + "-", cdn.get(1).range());
        assertEquals(half + (length - resumedAt), hub.bodyBytesSent, "the resumed GET asks only for what was not received");
        Path blob = repoDir().resolve("blobs").resolve(sha);
        assertEquals(sha, BlobHash.sameKindAs(sha, blob));
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha + ".incomplete")));
        assertArrayEquals(hub.content("acme/tiny", "model.safetensors"),
                Files.readAllBytes(snapshot.directory().resolve("model.safetensors")));
    }

    @Test
    void partialDownloadLeftByAnEarlierRunIsResumed() throws IOException {
        String sha = hub.etag("acme/tiny", "model.safetensors");
        byte[] content = hub.content("acme/tiny", "model.safetensors");
        Files.createDirectories(repoDir().resolve("blobs"));
        Files.write(repoDir().resolve("blobs").resolve(sha + ".incomplete"), Arrays.copyOf(content, 1000));

        client().pull(TINY, new IncludePatterns(List.of("model.safetensors")), DownloadListener.NONE);

        List<FakeHub.Request> cdn = hub.requestsTo("/cdn/" + sha);
        assertEquals(1, cdn.size());
        assertEquals("bytes=1000-", cdn.getFirst().range());
        assertEquals(content.length - 1000, hub.bodyBytesSent);
        assertArrayEquals(content, Files.readAllBytes(repoDir().resolve("blobs").resolve(sha)));
    }

    @Test
    void serverIgnoringRangeRestartsTheFileFromZero() throws IOException {
        hub.ignoreRange = true;
        String sha = hub.etag("acme/tiny", "model.safetensors");
        byte[] content = hub.content("acme/tiny", "model.safetensors");
        Files.createDirectories(repoDir().resolve("blobs"));
        Files.write(repoDir().resolve("blobs").resolve(sha + ".incomplete"), Arrays.copyOf(content, 1000));

        client().pull(TINY, new IncludePatterns(List.of("model.safetensors")), DownloadListener.NONE);

        assertArrayEquals(content, Files.readAllBytes(repoDir().resolve("blobs").resolve(sha)));
    }

    @Test
    void transferThatKeepsBreakingFailsAndKeepsThePartialFile() {
        hub.cutNextBodies = 100;

        HubException e = assertThrows(HubException.class,
                () -> client().pull(TINY, new IncludePatterns(List.of("model.safetensors")), DownloadListener.NONE));

        assertEquals(HubException.Kind.NETWORK, e.kind());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("resumes"), e.getMessage());
        String sha = hub.etag("acme/tiny", "model.safetensors");
        Path part = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        assertTrue(Files.exists(part));
        assertEquals(3, hub.requestsTo("/cdn/").size(), "maxAttempts GETs");
    }

    @Test
    void hashMismatchIsReportedAndTheCorruptDownloadDeleted() throws IOException {
        hub.corruptBodies = true;
        String sha = hub.etag("acme/tiny", "model.safetensors");

        HubException e = assertThrows(HubException.class,
                () -> client().pull(TINY, new IncludePatterns(List.of("model.safetensors")), DownloadListener.NONE));

        assertEquals(HubException.Kind.INTEGRITY, e.kind());
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + sha), e.getMessage());
        assertTrue(e.getMessage().matches("(?s).*got [0-9a-f]{64}.*"), e.getMessage());
        try (Stream<Path> blobs = Files.list(repoDir().resolve("blobs"))) {
            assertEquals(0, blobs.count(), "neither blob nor .incomplete is left");
        }
    }

    @Test
    void corruptBlobInTheCacheIsReplacedNotReused() throws IOException {
        String etag = hub.etag("acme/tiny", "config.json");
        Files.createDirectories(repoDir().resolve("blobs"));
        Files.writeString(repoDir().resolve("blobs").resolve(etag), "{\"model_type\": \"gpt2\", \"hidden_size\": 99}\n");

        Snapshot snapshot = client().pull(TINY, new IncludePatterns(List.of("config.json")), DownloadListener.NONE);

        assertEquals(1, snapshot.downloaded());
        assertArrayEquals(hub.content("acme/tiny", "config.json"), Files.readAllBytes(snapshot.directory().resolve("config.json")));
    }

    @Test
    void blobCachedByAnotherSnapshotIsVerifiedAndLinkedWithoutDownload() throws IOException {
        String etag = hub.etag("acme/tiny", "config.json");
        Files.createDirectories(repoDir().resolve("blobs"));
        Files.write(repoDir().resolve("blobs").resolve(etag), hub.content("acme/tiny", "config.json"));

        Snapshot snapshot = client().pull(TINY, new IncludePatterns(List.of("config.json")), DownloadListener.NONE);

        assertEquals(0, snapshot.downloaded());
        assertTrue(hub.bodyRequests().isEmpty(), hub.bodyRequests().toString());
        assertTrue(Files.isSymbolicLink(snapshot.directory().resolve("config.json")));
    }

    @Test
    void commitRevisionResolvesWithoutWritingARef() throws IOException {
        Snapshot snapshot = client().pull(TINY.withRevision(FakeHub.COMMIT), new IncludePatterns(List.of("config.json")),
                DownloadListener.NONE);

        assertEquals(FakeHub.COMMIT, snapshot.commit());
        assertFalse(Files.exists(repoDir().resolve("refs")));
    }

    @Test
    void privateRepoWithoutTokenIsRefusedWithAHintAboutHfToken() {
        HubException e = assertThrows(HubException.class,
                () -> client().pull(SECRET, IncludePatterns.defaults(), DownloadListener.NONE));

        assertEquals(HubException.Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("acme/secret"), e.getMessage());
    }

    @Test
    void rejectedTokenIsNamedAsTheProblem() {
        HubException e = assertThrows(HubException.class,
                () -> client("hf_wrong").pull(SECRET, IncludePatterns.defaults(), DownloadListener.NONE));

        assertEquals(HubException.Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("refused HF_TOKEN"), e.getMessage());
    }

    @Test
    void privateRepoPullsWithTokenAndTheTokenStaysOffTheCdn() throws IOException {
        Snapshot snapshot = client(FakeHub.TOKEN).pull(SECRET, IncludePatterns.defaults(), DownloadListener.NONE);

        assertEquals(List.of("config.json", "model.safetensors"), snapshot.files());
        for (FakeHub.Request r : hub.requests) {
            if (r.path().startsWith("/cdn/")) {
                assertNull(r.authorization(), "token sent to the CDN host: " + r);
            } else {
                assertEquals("Bearer " + FakeHub.TOKEN, r.authorization(), r.toString());
            }
        }
    }

    @Test
    void unknownRepositoryIsNamed() {
        HubException e = assertThrows(HubException.class,
                () -> client("hf_any").pull(RepoId.parse("acme/nothing"), IncludePatterns.defaults(), DownloadListener.NONE));
        // An unknown repo answers 401 like a private one: with a token set the token is the suspect.
        assertEquals(HubException.Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("acme/nothing"), e.getMessage());
    }

    @Test
    void unknownRevisionIsNamed() {
        HubException e = assertThrows(HubException.class,
                () -> client().pull(RepoId.parse("acme/tiny@v9"), IncludePatterns.defaults(), DownloadListener.NONE));

        assertEquals(HubException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("revision 'v9'") && e.getMessage().contains("acme/tiny"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        hub.listGhostFile = true;

        HubException e = assertThrows(HubException.class,
                () -> client().pull(TINY, new IncludePatterns(List.of("ghost.json")), DownloadListener.NONE));

        assertEquals(HubException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("file 'ghost.json' not found in acme/tiny"), e.getMessage());
    }

    @Test
    void patternsMatchingNothingListWhatTheRevisionHas() {
        HubException e = assertThrows(HubException.class,
                () -> client().pull(TINY, new IncludePatterns(List.of("*.gguf")), DownloadListener.NONE));

        assertEquals(HubException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("*.gguf") && e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void refusedConnectionNamesTheEndpoint() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI dead = URI.create("http://127.0.0.1:" + closedPort);
        HubClient client = new HubClient(new HubSettings(dead, null, cacheDir, false, Duration.ofSeconds(2), 1));

        HubException e = assertThrows(HubException.class, () -> client.pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE));

        assertEquals(HubException.Kind.NETWORK, e.kind());
        assertTrue(e.getMessage().contains(dead.toString()) && e.getMessage().contains("--offline"), e.getMessage());
    }

    @Test
    void offlineResolvesFromTheCacheWithoutTheNetwork() throws IOException {
        Snapshot online = client().pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);
        hub.close();
        int before = hub.requests.size();
        HubClient offline = new HubClient(client().settings().withOffline(true));

        Snapshot cached = offline.pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);

        assertEquals(online.directory(), cached.directory());
        assertEquals(FakeHub.COMMIT, cached.commit());
        assertEquals(Set.copyOf(online.files()), Set.copyOf(cached.files()));
        assertEquals(before, hub.requests.size());
        assertEquals(online.directory(), offline.cache().findSnapshot(TINY.withRevision(FakeHub.COMMIT)).directory());
    }

    @Test
    void offlineWithNothingCachedSaysWhatIsMissing() {
        HubClient offline = new HubClient(client().settings().withOffline(true));

        HubException e = assertThrows(HubException.class, () -> offline.pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE));

        assertEquals(HubException.Kind.NOT_CACHED, e.kind());
        assertTrue(e.getMessage().contains("acme/tiny") && e.getMessage().contains("supportlm pull acme/tiny@main"),
                e.getMessage());
        assertTrue(hub.requests.isEmpty());
    }
    @Test
    void resolveFallsBackToTheCacheWhenTheHubIsUnreachable() throws IOException {
        Snapshot online = client().pull(TINY, IncludePatterns.defaults(), DownloadListener.NONE);
        hub.close();
        HubClient unreachable = new HubClient(client().settings().withTimeout(Duration.ofSeconds(2)));

        assertEquals(online.directory(), unreachable.resolve(TINY).directory());
        HubException e = assertThrows(HubException.class, () -> unreachable.resolve(RepoId.parse("acme/other")));
        assertEquals(HubException.Kind.NETWORK, e.kind());
    }

    @Test
    void modelDirectoryTakesALocalFolderOrAHubRepository() throws IOException {
        Path local = Files.createDirectories(cacheDir.resolve("my-model"));

        assertEquals(local, client().modelDirectory(local.toString()));
        assertEquals(repoDir().resolve("snapshots").resolve(FakeHub.COMMIT), client().modelDirectory("acme/tiny"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client().modelDirectory(cacheDir.resolve("no-such-dir").toString()));
        assertTrue(e.getMessage().contains("neither a local directory nor a hub repository"), e.getMessage());
    }
    @Test
    void renamedRepositoryIsFollowedThroughRelativeRedirects() throws IOException {
        Snapshot snapshot = client().pull(RepoId.parse("acme/renamed"), IncludePatterns.defaults(), DownloadListener.NONE);

        assertEquals(cacheDir.resolve("models--acme--renamed/snapshots/" + FakeHub.COMMIT), snapshot.directory());
        assertArrayEquals(hub.content("acme/tiny", "model.safetensors"),
                Files.readAllBytes(snapshot.directory().resolve("model.safetensors")));
    }
}
