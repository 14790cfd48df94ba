package io.supportlm.cli;

import io.supportlm.hub.DownloadListener;
import io.supportlm.hub.RepoId;
import io.supportlm.hub.Snapshot;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a pull on stderr: a progress bar per downloading file on a terminal, one plain line per file
 * otherwise (logs and CI stay readable).
 */
final class PullProgress implements DownloadListener, AutoCloseable {
    private static final long MIB = 1L << 20;

    private final PrintWriter err;
    private final boolean interactive;
    private ProgressBar bar;
    private long fileBytes = -1;

    PullProgress(PrintWriter err, boolean interactive) {
        this.err = err;
        this.interactive = interactive;
    }

    static boolean interactive() {
        return System.console() != null && System.console().isTerminal();
    }

    @Override
    public void onPlan(RepoId repo, String commit, int fileCount, long totalBytes) {
        err.printf("%s: commit %s, %d file%s, %s%n", repo, commit, fileCount, fileCount == 1 ? "" : "s", size(totalBytes));
        err.flush();
    }

    @Override
    public void onFileStart(String path, long totalBytes, long resumedFrom) {
        fileBytes = totalBytes;
        if (resumedFrom > 0) {
            err.printf("resuming %s at %s%n", path, size(resumedFrom));
            err.flush();
        }
        if (interactive) {
            bar = new ProgressBarBuilder().setTaskName(shorten(path)).setInitialMax(Math.max(totalBytes, 0))
                    .setUnit("MiB", MIB).setStyle(ProgressBarStyle.ASCII).showSpeed()
                    .startsFrom(resumedFrom, Duration.ZERO).build();
        }
    }

    @Override
    public void onFileProgress(String path, long bytesSoFar) {
        if (bar != null) {
            bar.stepTo(bytesSoFar);
        }
    }

    @Override
    public void onRetry(String path, long resumeAt, String reason) {
        closeBar();
        err.printf("transfer of %s broke (%s); resuming at %s%n", path, reason, size(resumeAt));
        err.flush();
    }

    @Override
    public void onFileDone(String path, boolean downloaded) {
        closeBar();
        if (!interactive || !downloaded) {
            err.printf("%s %s%s%n", downloaded ? "downloaded" : "cached    ", path, downloaded && fileBytes >= 0 ? " (" + size(fileBytes) + ")" : "");
            err.flush();
        }
        fileBytes = -1;
    }

    void finish(Snapshot snapshot) {
        boolean weights = snapshot.files().stream().anyMatch(f -> f.endsWith(".safetensors"));
        if (!weights) {
            err.println("note: no .safetensors weights were pulled; if the repository only has other formats, name them with --include");
        }
        err.flush();
    }

    @Override
    public void close() {
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    private static String shorten(String path) {
        return path.length() <= 32 ? path : "…" + path.substring(path.length() - 31);
    }

    static String size(long bytes) {
        if (bytes < 0) {
            return "size unknown";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < MIB) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024 * MIB) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
        }
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1024 * MIB));
    }
}
