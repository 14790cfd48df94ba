package io.supportlm.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pulls model repositories from the Hugging Face Hub into the cache huggingface_hub shares, and resolves
 * {@code org/name[@revision]} to a local snapshot folder.
 *
 * <pre>{@code
 * HubClient hub = HubClient.fromEnvironment();                       // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE
 * Snapshot s = hub.pull(RepoId.parse("HuggingFaceTB/SmolLM2-135M-Instruct"), IncludePatterns.defaults(), DownloadListener.NONE);
 * Path config = s.directory().resolve("config.json");
 * }</pre>
 *
 * A pull lists the revision ({@code /api/models/<repo>/revision/<rev>?blobs=true}), writes
 * {@code refs/<rev>} when the revision is a branch or tag, and brings each file matching the include
 * patterns into {@code snapshots/<commit>/}: files already linked there cost no request at all, blobs
 * present from another snapshot (or from Python) are verified by hash and linked, the rest are downloaded
 * with resume and verified. Files are fetched one after another. Separate processes may pull into one cache
 * at the same time (a lock file per blob); within one JVM, pull a given repository from one thread at a time.
 */
public final class HubClient {
    private final HubSettings settings;
    private final HubCache cache;
    private final HubHttp http;
    private final BlobFetcher fetcher;

    public HubClient(HubSettings settings) {
        this.settings = settings;
        this.cache = new HubCache(settings.cacheDir());
        this.http = new HubHttp(settings);
        this.fetcher = new BlobFetcher(http, cache, settings.maxAttempts());
    }

    public static HubClient fromEnvironment() {
        return new HubClient(HubSettings.fromEnvironment());
    }

    public HubSettings settings() {
        return settings;
    }

    public HubCache cache() {
        return cache;
    }

    /**
     * Makes the files of {@code repo} that match {@code include} present in the cache and returns the snapshot.
     * Offline ({@link HubSettings#offline()}) it only looks the revision up in the cache.
     *
     * @throws HubException saying what was not found, refused, unreachable, corrupt, or not cached
     */
    public Snapshot pull(RepoId repo, IncludePatterns include, DownloadListener listener) throws IOException {
        if (settings.offline()) {
            return cache.findSnapshot(repo);
        }
        RevisionListing listing = listRevision(repo);
        List<RevisionListing.RemoteFile> selected = new ArrayList<>();
        long totalBytes = 0;
        for (RevisionListing.RemoteFile file : listing.files()) {
            if (include.matches(file.path())) {
                selected.add(file);
                totalBytes = totalBytes < 0 || file.size() < 0 ? -1 : totalBytes + file.size();
            }
        }
        if (selected.isEmpty()) {
            List<String> names = listing.files().stream().map(RevisionListing.RemoteFile::path).toList();
            throw new HubException(HubException.Kind.NOT_FOUND, "no file of " + repo + " matches " + include.globs()
                    + "; the revision has " + (names.size() > 20 ? names.subList(0, 20) + " …" : names));
        }
        listener.onPlan(repo, listing.commit(), selected.size(), totalBytes);
        cache.writeRef(repo, listing.commit());
        List<String> files = new ArrayList<>();
        int downloaded = 0;
        for (RevisionListing.RemoteFile file : selected) {
            if (fetcher.fetch(repo, listing.commit(), file, listener)) {
                downloaded++;
            }
            files.add(file.path());
        }
        return new Snapshot(repo, listing.commit(), cache.snapshotDir(repo, listing.commit()), files, downloaded);
    }

    /**
     * The snapshot for a model argument: offline straight from the cache; online after a pull with the default
     * include patterns (one listing request when everything is cached already). When the hub cannot be
     * reached but the revision is cached, the cached snapshot is returned, as huggingface_hub does.
     */
    public Snapshot resolve(RepoId repo) throws IOException {
        try {
            return pull(repo, IncludePatterns.defaults(), DownloadListener.NONE);
        } catch (HubException e) {
            if (e.kind() != HubException.Kind.NETWORK) {
                throw e;
            }
            try {
                return cache.findSnapshot(repo);
            } catch (HubException notCached) {
                e.addSuppressed(notCached);
                throw e;
            }
        }
    }

    /**
     * The local folder of a model argument as the CLI takes it: an existing directory is used as it is,
     * anything else must be {@code org/name[@revision]} and is {@linkplain #resolve resolved} through the hub.
     *
     * @throws IllegalArgumentException when the argument is neither a directory nor a valid repository id
     */
    public Path modelDirectory(String argument) throws IOException {
        if (argument != null && !argument.isBlank() && Files.isDirectory(Path.of(argument))) {
            return Path.of(argument);
        }
        RepoId repo;
        try {
            repo = RepoId.parse(argument);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model '" + argument + "' is neither a local directory nor a hub repository: "
                    + e.getMessage(), e);
        }
        return resolve(repo).directory();
    }

    private RevisionListing listRevision(RepoId repo) throws HubException {
        URI uri = http.endpointUri("api/models/" + repo.owner() + "/" + repo.name() + "/revision/"
                + HubHttp.encodeSegment(repo.revision()) + "?blobs=true");
        String what = "the file list of " + repo;
        return RevisionListing.parse(http.getText(uri, repo, what), repo, what + " (" + uri + ")");
    }
}
