package io.supportlm.hub;

/**
 * Progress of a pull, one file at a time (files are fetched one after another). The CLI draws a progress
 * bar from these calls; library callers that want silence use {@link #NONE}. Calls come from the pulling
 * thread.
 */
public interface DownloadListener {
    DownloadListener NONE = new DownloadListener() { };

    /**
     * The revision resolved to {@code commit} and {@code fileCount} files match the include patterns;
     * {@code totalBytes} is -1 when the listing did not give every size.
     */
    default void onPlan(RepoId repo, String commit, int fileCount, long totalBytes) { }

    /**
     * A file starts downloading. {@code totalBytes} is -1 when the hub gave no size; {@code resumedFrom} is
     * how many bytes an earlier interrupted attempt left in the {@code .incomplete} file.
     */
    default void onFileStart(String path, long totalBytes, long resumedFrom) { }

    /** {@code bytesSoFar} of the file are on disk (including resumed bytes). */
    default void onFileProgress(String path, long bytesSoFar) { }

    /** The file is in the snapshot; {@code downloaded} is false when a cached, verified blob was reused. */
    default void onFileDone(String path, boolean downloaded) { }

    /** A transfer broke and is retried from byte {@code resumeAt} with an HTTP Range request. */
    default void onRetry(String path, long resumeAt, String reason) { }
}
