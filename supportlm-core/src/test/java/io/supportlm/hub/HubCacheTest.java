package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubCacheTest {
    private static final String COMMIT = "a".repeat(40);

    @TempDir
    Path root;

    @Test
    void defaultRootFollowsHuggingfaceHubsPrecedence() {
        assertEquals(Path.of("/x/hub-cache"), HubCache.defaultRoot(Map.of("HF_HUB_CACHE", "/x/hub-cache", "HF_HOME", "/y")));
        assertEquals(Path.of("/x/old"), HubCache.defaultRoot(Map.of("HUGGINGFACE_HUB_CACHE", "/x/old", "HF_HOME", "/y")));
        assertEquals(Path.of("/y/hub"), HubCache.defaultRoot(Map.of("HF_HOME", "/y")));
        assertEquals(Path.of("/z/huggingface/hub"), HubCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/z")));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"), HubCache.defaultRoot(Map.of()));
    }

    /** The layout Python's huggingface_hub leaves behind, built by hand: our lookup must read it as is. */
    @Test
    void findsASnapshotThatPythonWrote() throws IOException {
        Path repo = root.resolve("models--org--model");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), COMMIT); // huggingface_hub writes no trailing newline
        Files.createDirectories(repo.resolve("blobs"));
        Files.writeString(repo.resolve("blobs/" + "b".repeat(40)), "{}");
        Path snapshot = repo.resolve("snapshots/" + COMMIT);
        Files.createDirectories(snapshot.resolve("sub"));
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/" + "b".repeat(40)));
        Files.createSymbolicLink(snapshot.resolve("sub/x.json"), Path.of("../../../blobs/" + "b".repeat(40)));

        Snapshot found = new HubCache(root).findSnapshot(RepoId.parse("org/model"));

        assertEquals(COMMIT, found.commit());
        assertEquals(snapshot, found.directory());
        assertEquals(List.of("config.json", "sub/x.json"), found.files());
    }

    @Test
    void danglingSnapshotLinkIsReportedNotReturned() throws IOException {
        Path snapshot = root.resolve("models--org--model/snapshots/" + COMMIT);
        Files.createDirectories(snapshot);
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/" + "c".repeat(40)));

        HubException e = assertThrows(HubException.class,
                () -> new HubCache(root).findSnapshot(RepoId.parse("org/model@" + COMMIT)));

        assertEquals(HubException.Kind.NOT_CACHED, e.kind());
        assertTrue(e.getMessage().contains("dangling"), e.getMessage());
    }

    @Test
    void refWithoutSnapshotNamesTheMissingFolder() throws IOException {
        Path refs = root.resolve("models--org--model/refs");
        Files.createDirectories(refs);
        Files.writeString(refs.resolve("main"), COMMIT);

        HubException e = assertThrows(HubException.class, () -> new HubCache(root).findSnapshot(RepoId.parse("org/model")));

        assertTrue(e.getMessage().contains("snapshots/" + COMMIT), e.getMessage());
    }

    @Test
    void repoPathsThatLeaveTheSnapshotAreRefused() {
        HubCache cache = new HubCache(root);
        RepoId repo = RepoId.parse("org/model");
        for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", ""}) {
            assertThrows(IllegalArgumentException.class, () -> cache.pointerPath(repo, COMMIT, bad), bad);
        }
        assertEquals(root.resolve("models--org--model/snapshots/" + COMMIT + "/a/b.json"), cache.pointerPath(repo, COMMIT, "a/b.json"));
    }

    @Test
    void refOfABranchIsWrittenAtomicallyAndACommitWritesNone() throws IOException {
        HubCache cache = new HubCache(root);

        cache.writeRef(RepoId.parse("org/model@refs/pr/3"), COMMIT);
        cache.writeRef(RepoId.parse("org/model@" + COMMIT), COMMIT);

        assertEquals(COMMIT, Files.readString(root.resolve("models--org--model/refs/refs/pr/3")));
        try (var files = Files.walk(root.resolve("models--org--model/refs"))) {
            assertEquals(1, files.filter(Files::isRegularFile).count());
        }
    }
}
