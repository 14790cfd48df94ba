package io.supportlm.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar (me.tongfei:progressbar) on stderr, or nothing when not shown. */
final class CliProgress implements AutoCloseable {
    private final ProgressBar bar;

    private CliProgress(ProgressBar bar) {
        this.bar = bar;
    }

    /** @param max the total, or -1 when unknown */
    static CliProgress start(String task, long max, boolean show) {
        if (!show) {
            return new CliProgress(null);
        }
        return new CliProgress(new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).continuousUpdate().build());
    }

    void stepTo(long n) {
        if (bar != null) {
            bar.stepTo(n);
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
