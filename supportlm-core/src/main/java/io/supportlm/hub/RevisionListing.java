package io.supportlm.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code GET /api/models/<org>/<name>/revision/<revision>?blobs=true} says about a revision: its commit
 * and its files. With {@code blobs=true} each sibling carries its git blob id, its size and, for LFS files,
 * {@code lfs.sha256} and {@code lfs.size}; the etag a blob is cached under is the SHA-256 for LFS files and
 * the blob id otherwise. Mirrors that omit the metadata still work: the file's HEAD answer supplies it.
 *
 * @param commit the 40-hex commit the revision resolves to ({@code sha})
 * @param files  the repository's files at that commit
 */
record RevisionListing(String commit, List<RemoteFile> files) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One file of the revision.
     *
     * @param path repo path with '/' separators ({@code rfilename})
     * @param etag expected blob name, or null when the listing did not say
     * @param size expected size in bytes, or -1 when the listing did not say
     */
    record RemoteFile(String path, String etag, long size) { }

    RevisionListing {
        files = List.copyOf(files);
    }

    static RevisionListing parse(String json, RepoId repo, String source) throws HubException {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new HubException(HubException.Kind.PROTOCOL, source + " is not JSON: " + e.getOriginalMessage(), e);
        }
        String commit = root.path("sha").asText("");
        if (!RepoId.isCommitHash(commit)) {
            throw new HubException(HubException.Kind.PROTOCOL, source + " has no 40-hex commit in 'sha' (got '" + commit
                    + "') for " + repo);
        }
        JsonNode siblings = root.path("siblings");
        if (!siblings.isArray()) {
            throw new HubException(HubException.Kind.PROTOCOL, source + " has no 'siblings' file list for " + repo);
        }
        List<RemoteFile> files = new ArrayList<>();
        for (JsonNode sibling : siblings) {
            String path = sibling.path("rfilename").asText("");
            try {
                HubCache.checkRepoPath(path);
            } catch (IllegalArgumentException e) {
                throw new HubException(HubException.Kind.PROTOCOL, source + " lists an unsafe file path: " + e.getMessage(), e);
            }
            JsonNode lfs = sibling.path("lfs");
            String etag;
            long size;
            if (lfs.isObject() && lfs.hasNonNull("sha256")) {
                etag = lfs.get("sha256").asText();
                size = lfs.path("size").asLong(sibling.path("size").asLong(-1));
            } else {
                etag = sibling.hasNonNull("blobId") ? sibling.get("blobId").asText() : null;
                size = sibling.path("size").asLong(-1);
            }
            if (etag != null && !BlobHash.isCheckable(etag)) {
                etag = null; // an unfamiliar form: let the HEAD answer decide
            }
            files.add(new RemoteFile(path, etag, size));
        }
        return new RevisionListing(commit, files);
    }
}
