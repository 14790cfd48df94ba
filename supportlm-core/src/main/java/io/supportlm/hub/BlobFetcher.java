package io.supportlm.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Brings one file of a revision into the cache: asks the hub for its etag and size (HEAD, redirects to the
 * CDN not followed), reuses a cached blob that verifies, else downloads into {@code blobs/<etag>.incomplete},
 * resuming with {@code Range: bytes=N-} after a broken transfer (in this run or an earlier one), checks size
 * and hash, and moves the result atomically into {@code blobs/<etag>}.
 */
final class BlobFetcher {
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");
    private static final int BUFFER = 1 << 16;

    private final HubHttp http;
    private final HubCache cache;
    private final int maxAttempts;

    BlobFetcher(HubHttp http, HubCache cache, int maxAttempts) {
        this.http = http;
        this.cache = cache;
        this.maxAttempts = maxAttempts;
    }

    /** Metadata from the HEAD answer of a resolve URL. */
    private record FileMetadata(String etag, long size, URI downloadUri) { }

    /** Returns true when bytes were downloaded, false when a cached blob was reused. */
    boolean fetch(RepoId repo, String commit, RevisionListing.RemoteFile file, DownloadListener listener) throws IOException {
        String path = file.path();
        if (file.etag() != null && cache.isLinked(repo, commit, path, file.etag())
                && sizeMatches(cache.blob(repo, file.etag()), file.size())) {
            listener.onFileDone(path, false); // linked by an earlier pull that verified it: no network at all
            return false;
        }
        FileMetadata meta = head(repo, commit, file);
        Path blob = cache.blob(repo, meta.etag());
        if (blobVerifies(blob, meta)) {
            cache.link(repo, commit, path, meta.etag());
            listener.onFileDone(path, false);
            return false;
        }
        Path lockFile = cache.lockFile(repo, meta.etag());
        Files.createDirectories(lockFile.getParent());
        Files.createDirectories(blob.getParent());
        // One writer per blob across processes; released when the channel closes.
        try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            lockChannel.lock();
            if (!blobVerifies(blob, meta)) { // another process may have finished it while we waited
                download(repo, path, meta, listener);
            }
        }
        cache.link(repo, commit, path, meta.etag());
        listener.onFileDone(path, true);
        return true;
    }

    private FileMetadata head(RepoId repo, String commit, RevisionListing.RemoteFile file) throws HubException {
        URI resolve = http.endpointUri(repo.owner() + "/" + repo.name() + "/resolve/" + commit + "/"
                + HubHttp.encodePath(file.path()));
        HttpResponse<Void> response = http.head(resolve);
        int status = response.statusCode();
        if (status >= 400) {
            throw http.statusError(response, repo, file.path(), "file '" + file.path() + "'");
        }
        var headers = response.headers();
        String etag = normalizeEtag(headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).orElse(null));
        if (etag == null) {
            etag = file.etag();
        }
        if (etag == null) {
            throw new HubException(HubException.Kind.PROTOCOL, "the hub sent no ETag for '" + file.path() + "' of " + repo
                    + " (" + resolve + "), so the download could not be checked");
        }
        long size = headers.firstValue("X-Linked-Size").or(() -> HubHttp.isRedirect(status)
                ? java.util.Optional.empty() : headers.firstValue("Content-Length"))
                .map(BlobFetcher::parseLong).orElse(file.size());
        URI downloadUri = resolve;
        if (HubHttp.isRedirect(status) && headers.firstValue("Location").isPresent()) {
            downloadUri = response.uri().resolve(headers.firstValue("Location").get()); // straight to the CDN
        }
        try {
            cache.blob(repo, etag);
        } catch (IllegalArgumentException e) {
            throw new HubException(HubException.Kind.PROTOCOL, "the hub's ETag for '" + file.path() + "' of " + repo
                    + " cannot name a cache blob: " + e.getMessage(), e);
        }
        return new FileMetadata(etag, size, downloadUri);
    }

    private void download(RepoId repo, String path, FileMetadata meta, DownloadListener listener) throws IOException {
        Path part = cache.incompleteBlob(repo, meta.etag());
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (meta.size() >= 0 && have > meta.size()) {
            Files.delete(part); // longer than the file can be: not a prefix of it
            have = 0;
        }
        listener.onFileStart(path, meta.size(), have);
        String lastFailure = null;
        boolean complete = meta.size() >= 0 && have == meta.size();
        for (int attempt = 1; !complete && attempt <= maxAttempts; attempt++) {
            if (attempt > 1) {
                listener.onRetry(path, have, lastFailure);
                pause(attempt);
            }
            try {
                have = transfer(repo, path, meta, part, have, listener);
                complete = meta.size() < 0 || have == meta.size();
                if (!complete) {
                    lastFailure = "the body ended after " + have + " of " + meta.size() + " bytes";
                }
            } catch (HubException e) {
                if (e.kind() != HubException.Kind.NETWORK) {
                    throw e; // an HTTP error answer or a bad body: retrying will not change it
                }
                lastFailure = e.getMessage();
            } catch (IOException e) {
                lastFailure = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                have = Files.exists(part) ? Files.size(part) : 0;
            }
        }
        if (!complete) {
            throw new HubException(HubException.Kind.NETWORK, "downloading '" + path + "' of " + repo + " broke "
                    + maxAttempts + " times (last: " + lastFailure + "); " + have + " bytes are kept in " + part
                    + " and the next pull resumes from there");
        }
        verify(repo, path, meta, part);
        Files.move(part, cache.blob(repo, meta.etag()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** One GET; appends to {@code part} and returns how many bytes it holds afterwards. */
    private long transfer(RepoId repo, String path, FileMetadata meta, Path part, long have, DownloadListener listener)
            throws IOException {
        HttpResponse<InputStream> response = http.get(meta.downloadUri(), have > 0 ? "bytes=" + have + "-" : null);
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            boolean append;
            if (status == 206) {
                long start = contentRangeStart(response);
                if (start != have) {
                    throw new IOException("asked for bytes from " + have + " but the server sent from " + start);
                }
                append = true;
            } else if (status == 200) {
                append = false; // the server ignored the Range header: start over
                have = 0;
            } else if (status == 416) {
                Files.deleteIfExists(part); // the partial file is no prefix of this blob
                throw new IOException("the server refused to resume at byte " + have + " (HTTP 416); restarting");
            } else {
                throw http.statusError(response, repo, path, "file '" + path + "'");
            }
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[BUFFER];
                for (int n; (n = body.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    have += n;
                    listener.onFileProgress(path, have);
                    if (meta.size() >= 0 && have > meta.size()) {
                        throw new HubException(HubException.Kind.INTEGRITY, "'" + path + "' of " + repo
                                + " is longer than the " + meta.size() + " bytes the hub announced");
                    }
                }
            }
            return have;
        } catch (HubException e) {
            if (e.kind() == HubException.Kind.INTEGRITY) {
                Files.deleteIfExists(part);
            }
            throw e;
        }
    }

    private static void verify(RepoId repo, String path, FileMetadata meta, Path part) throws IOException {
        long size = Files.size(part);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(part);
            throw new HubException(HubException.Kind.INTEGRITY, "'" + path + "' of " + repo + ": downloaded " + size
                    + " bytes, the hub announced " + meta.size() + "; the corrupt download was deleted, pull again");
        }
        if (BlobHash.isCheckable(meta.etag())) {
            String actual = BlobHash.sameKindAs(meta.etag(), part);
            if (!actual.equals(meta.etag())) {
                Files.deleteIfExists(part);
                throw new HubException(HubException.Kind.INTEGRITY, "'" + path + "' of " + repo
                        + " failed its hash check: expected " + meta.etag() + ", got " + actual
                        + "; the corrupt download was deleted, pull again");
            }
        }
    }

    /** A blob already in the cache is reused only when its size and hash say it is this file. */
    private static boolean blobVerifies(Path blob, FileMetadata meta) throws IOException {
        if (!Files.isRegularFile(blob)) {
            return false;
        }
        if (sizeMatches(blob, meta.size()) && BlobHash.matches(meta.etag(), blob)) {
            return true;
        }
        Files.delete(blob); // corrupt or truncated: download it again
        return false;
    }

    private static boolean sizeMatches(Path blob, long expected) throws IOException {
        return Files.isRegularFile(blob) && (expected < 0 || Files.size(blob) == expected);
    }

    private static long contentRangeStart(HttpResponse<?> response) throws IOException {
        String range = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE_START.matcher(range.strip());
        if (!m.matches()) {
            throw new IOException("HTTP 206 with an unreadable Content-Range '" + range + "'");
        }
        return Long.parseLong(m.group(1));
    }

    /** ETag header to blob name: drop a weak marker and the quotes. */
    static String normalizeEtag(String header) {
        if (header == null) {
            return null;
        }
        String etag = header.strip();
        if (etag.startsWith("W/")) {
            etag = etag.substring(2);
        }
        if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            etag = etag.substring(1, etag.length() - 1);
        }
        return etag.isEmpty() ? null : etag;
    }

    private static long parseLong(String text) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void pause(int attempt) throws HubException {
        try {
            Thread.sleep(100L * (attempt - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException(HubException.Kind.NETWORK, "interrupted while waiting to retry a download", e);
        }
    }
}
