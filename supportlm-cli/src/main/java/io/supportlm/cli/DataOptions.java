package io.supportlm.cli;

import picocli.CommandLine.Option;

/** Options shared by the {@code data} subcommands. */
public final class DataOptions {
    @Option(names = "--no-progress", description = "Do not draw progress bars (they are drawn only on a terminal anyway).")
    boolean noProgress;

    /** Progress bars only on an interactive terminal, so logs and pipes stay clean. */
    boolean showProgress() {
        java.io.Console console = System.console();
        return !noProgress && console != null && console.isTerminal();
    }
}
