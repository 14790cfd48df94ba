package io.supportlm.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The on-disk cache shared with Python's {@code huggingface_hub}:
 * <pre>
 * &lt;root&gt;/models--org--name/
 *     refs/&lt;branch-or-tag&gt;          the commit hash the name pointed at when last pulled
 *     blobs/&lt;etag&gt;                  file contents, named by SHA-256 (LFS) or git blob id (small files)
 *     blobs/&lt;etag&gt;.incomplete       a download in progress, resumed with an HTTP Range request
 *     snapshots/&lt;commit&gt;/&lt;path&gt;     relative symlink to ../../blobs/&lt;etag&gt; (one more ../ per folder level)
 * </pre>
 * Where the file system refuses symlinks the snapshot gets a copy of the blob instead, as huggingface_hub does.
 */
public final class HubCache {
    private final Path root;

    public HubCache(Path root) {
        if (root == null) {
            throw new IllegalArgumentException("cache root is null");
        }
        this.root = root.toAbsolutePath().normalize();
    }

    /**
     * Where huggingface_hub keeps its cache: {@code $HF_HUB_CACHE} (or its older name
     * {@code $HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}, else
     * {@code $XDG_CACHE_HOME/huggingface/hub}, else {@code ~/.cache/huggingface/hub}.
     */
    public static Path defaultRoot(Map<String, String> env) {
        for (String name : List.of("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return expandHome(value);
            }
        }
        return huggingFaceHome(env).resolve("hub");
    }

    /** {@code $HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface}. */
    static Path huggingFaceHome(Map<String, String> env) {
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isBlank()) {
            return expandHome(hfHome);
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path cacheHome = xdg != null && !xdg.isBlank() ? expandHome(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cacheHome.resolve("huggingface");
    }

    public Path root() {
        return root;
    }

    public Path repoDir(RepoId repo) {
        return root.resolve(repo.folderName());
    }

    public Path blob(RepoId repo, String etag) {
        checkEtag(etag);
        return repoDir(repo).resolve("blobs").resolve(etag);
    }

    public Path incompleteBlob(RepoId repo, String etag) {
        checkEtag(etag);
        return repoDir(repo).resolve("blobs").resolve(etag + ".incomplete");
    }

    /** The lock file huggingface_hub uses for the same blob ({@code <root>/.locks/models--org--name/<etag>.lock}). */
    Path lockFile(RepoId repo, String etag) {
        checkEtag(etag);
        return root.resolve(".locks").resolve(repo.folderName()).resolve(etag + ".lock");
    }

    public Path snapshotDir(RepoId repo, String commit) {
        if (!RepoId.isCommitHash(commit)) {
            throw new IllegalArgumentException("'" + commit + "' is not a 40-hex commit hash");
        }
        return repoDir(repo).resolve("snapshots").resolve(commit);
    }

    /** The commit a revision resolves to in the cache: the revision itself when it is a commit, else refs/&lt;revision&gt;. */
    public Optional<String> cachedCommit(RepoId repo) throws IOException {
        if (repo.revisionIsCommit()) {
            return Optional.of(repo.revision());
        }
        Path ref = refFile(repo, repo.revision());
        if (!Files.isRegularFile(ref)) {
            return Optional.empty();
        }
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        if (!RepoId.isCommitHash(commit)) {
            throw new HubException(HubException.Kind.LOCAL_IO, "cache ref " + ref + " holds '" + commit
                    + "', not a 40-hex commit hash; delete it and pull again");
        }
        return Optional.of(commit);
    }

    /**
     * Resolves {@code org/name@revision} to its snapshot folder without touching the network.
     *
     * @throws HubException of kind NOT_CACHED naming what is missing (the ref or the snapshot folder)
     */
    public Snapshot findSnapshot(RepoId repo) throws IOException {
        Optional<String> commit = cachedCommit(repo);
        if (commit.isEmpty()) {
            throw new HubException(HubException.Kind.NOT_CACHED, repo.id() + " revision '" + repo.revision()
                    + "' is not in the cache at " + root + " (no " + refFile(repo, repo.revision())
                    + "); pull it once online with: supportlm pull " + repo.id() + "@" + repo.revision());
        }
        Path dir = snapshotDir(repo, commit.get());
        if (!Files.isDirectory(dir)) {
            throw new HubException(HubException.Kind.NOT_CACHED, repo.id() + " revision '" + repo.revision()
                    + "' (commit " + commit.get() + ") has no snapshot in the cache at " + dir
                    + "; pull it once online with: supportlm pull " + repo.id() + "@" + repo.revision());
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isDirectory(p)) {
                    if (!Files.exists(p)) {
                        throw new HubException(HubException.Kind.NOT_CACHED, "cached file " + p
                                + " is a dangling link (its blob was deleted); pull " + repo.id() + " again online");
                    }
                    files.add(dir.relativize(p).toString().replace('\\', '/'));
                }
            }
        }
        files.sort(null);
        return new Snapshot(repo, commit.get(), dir, files, 0);
    }

    /** Records that {@code revision} (a branch or tag) points at {@code commit}; a commit revision writes nothing. */
    public void writeRef(RepoId repo, String commit) throws IOException {
        if (repo.revisionIsCommit()) {
            return;
        }
        Path ref = refFile(repo, repo.revision());
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).equals(commit)) {
            return; // unchanged: leave read-only caches alone
        }
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Whether {@code snapshots/<commit>/<path>} already resolves to the blob {@code etag}: a symlink pointing at
     * it, or (where links are unavailable) a regular file of the blob's size.
     */
    boolean isLinked(RepoId repo, String commit, String repoPath, String etag) throws IOException {
        Path pointer = pointerPath(repo, commit, repoPath);
        Path blob = blob(repo, etag);
        if (Files.isSymbolicLink(pointer)) {
            return Files.exists(pointer) && Files.isSameFile(pointer, blob);
        }
        return Files.isRegularFile(pointer, LinkOption.NOFOLLOW_LINKS) && Files.exists(blob)
                && Files.size(pointer) == Files.size(blob);
    }

    /** Points {@code snapshots/<commit>/<path>} at {@code blobs/<etag>} with a relative symlink, or a copy. */
    Path link(RepoId repo, String commit, String repoPath, String etag) throws IOException {
        Path pointer = pointerPath(repo, commit, repoPath);
        Path blob = blob(repo, etag);
        Files.createDirectories(pointer.getParent());
        Files.deleteIfExists(pointer);
        Path relative = pointer.getParent().relativize(blob);
        try {
            Files.createSymbolicLink(pointer, relative);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(blob, pointer, StandardCopyOption.REPLACE_EXISTING);
        }
        return pointer;
    }

    /** The snapshot entry for a repo path, refusing paths that would leave the snapshot folder. */
    Path pointerPath(RepoId repo, String commit, String repoPath) {
        checkRepoPath(repoPath);
        Path dir = snapshotDir(repo, commit);
        Path pointer = dir.resolve(repoPath).normalize();
        if (!pointer.startsWith(dir) || pointer.equals(dir)) {
            throw new IllegalArgumentException("repository file path '" + repoPath + "' leaves the snapshot folder");
        }
        return pointer;
    }

    static void checkRepoPath(String repoPath) {
        if (repoPath == null || repoPath.isEmpty() || repoPath.startsWith("/") || repoPath.contains("\\")
                || repoPath.contains("\0")) {
            throw new IllegalArgumentException("repository file path '" + repoPath + "' is not a relative path with '/'");
        }
        for (String segment : repoPath.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("repository file path '" + repoPath
                        + "' has an empty, '.' or '..' segment");
            }
        }
    }

    private Path refFile(RepoId repo, String revision) {
        return repoDir(repo).resolve("refs").resolve(revision); // RepoId rules out '..' segments
    }

    private static void checkEtag(String etag) {
        if (etag == null || etag.isEmpty() || !etag.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("etag '" + etag + "' cannot name a blob (expected a hex hash)");
        }
    }

    static Path expandHome(String path) {
        if (path.equals("~") || path.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + path.substring(1));
        }
        return Path.of(path);
    }
}
