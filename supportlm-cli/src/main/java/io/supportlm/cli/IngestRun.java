package io.supportlm.cli;

import io.supportlm.data.ingest.IngestConfig;
import io.supportlm.data.ingest.IngestResult;
import io.supportlm.data.ingest.Ingester;
import io.supportlm.data.ingest.Rejection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The part of ingest and validate they share: run, print the summary and the first rejections. */
final class IngestRun {
    private IngestRun() {}

    static IngestResult run(Path configFile, List<Path> files, Path report, DataOptions options) throws IOException {
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("input file not found: " + f);
            }
        }
        IngestConfig config = configFile == null ? IngestConfig.canonical() : IngestConfig.load(configFile);
        IngestResult result;
        try (CliProgress progress = CliProgress.start("rows", -1, options.showProgress())) {
            result = new Ingester(config, progress::stepTo).ingest(files);
        }
        System.out.print(result.summary());
        List<Rejection> rejections = result.rejections();
        int shown = Math.min(20, rejections.size());
        for (int i = 0; i < shown; i++) {
            System.out.println("  " + rejections.get(i));
        }
        if (rejections.size() > shown) {
            System.out.println("  ... " + (rejections.size() - shown) + " more" + (report == null ? " (use --report FILE to list all)" : ""));
        }
        if (report != null) {
            result.writeReport(report);
            System.out.println("report: " + report);
        }
        return result;
    }
}
