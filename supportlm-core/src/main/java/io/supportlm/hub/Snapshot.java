package io.supportlm.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * A revision of a repository present in the local cache.
 *
 * @param repo       the repository and the revision that was asked for
 * @param commit     the 40-hex commit the revision resolved to
 * @param directory  {@code <cache>/models--org--name/snapshots/<commit>}: the files under their repo paths
 * @param files      repo paths pulled into the snapshot by this call (all of them offline: what is there)
 * @param downloaded how many of those were fetched over the network (0 when everything was cached)
 */
public record Snapshot(RepoId repo, String commit, Path directory, List<String> files, int downloaded) {
    public Snapshot {
        if (!RepoId.isCommitHash(commit)) {
            throw new IllegalArgumentException("snapshot commit '" + commit + "' is not a 40-hex commit hash");
        }
        files = List.copyOf(files);
        if (downloaded < 0 || downloaded > files.size()) {
            throw new IllegalArgumentException("downloaded count " + downloaded + " outside 0.." + files.size());
        }
    }
}
