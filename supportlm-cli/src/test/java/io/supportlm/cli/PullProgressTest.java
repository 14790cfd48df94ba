package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.hub.RepoId;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PullProgressTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @Test
    void plainModePrintsOneLinePerFileWithResumesAndRetries() {
        StringWriter text = new StringWriter();
        try (PullProgress progress = new PullProgress(new PrintWriter(text), false)) {
            progress.onPlan(RepoId.parse("acme/tiny"), COMMIT, 2, 3 << 20);
            progress.onFileStart("model.safetensors", 3 << 20, 1024);
            progress.onFileProgress("model.safetensors", 2 << 20);
            progress.onRetry("model.safetensors", 2 << 20, "connection reset");
            progress.onFileDone("model.safetensors", true);
            progress.onFileDone("config.json", false);
        }

        assertEquals(String.join(System.lineSeparator(),
                "acme/tiny@main: commit " + COMMIT + ", 2 files, 3.0 MiB",
                "resuming model.safetensors at 1.0 KiB",
                "transfer of model.safetensors broke (connection reset); resuming at 2.0 MiB",
                "downloaded model.safetensors (3.0 MiB)",
                "cached     config.json", ""), text.toString());
    }

    @Test
    void terminalModeDrawsAndClosesABarPerFile() {
        StringWriter text = new StringWriter();
        try (PullProgress progress = new PullProgress(new PrintWriter(text), true)) {
            progress.onFileStart("model.safetensors", 1000, 0);
            progress.onFileProgress("model.safetensors", 1000);
            progress.onFileDone("model.safetensors", true);
            progress.onFileStart("unknown-size.bin", -1, 0);
        } // closing mid-file must stop the bar's refresh thread cleanly

        assertTrue(text.toString().isEmpty(), "bars draw on the terminal, not in the line log: " + text);
    }

    @Test
    void sizesReadLikeAPersonWouldWriteThem() {
        assertEquals("size unknown", PullProgress.size(-1));
        assertEquals("512 B", PullProgress.size(512));
        assertEquals("1.5 KiB", PullProgress.size(1536));
        assertEquals("256.5 MiB", PullProgress.size(256L * (1 << 20) + (1 << 19)));
        assertEquals("2.00 GiB", PullProgress.size(2L << 30));
    }
}
