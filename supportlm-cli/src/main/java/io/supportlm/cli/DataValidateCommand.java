package io.supportlm.cli;

import io.supportlm.data.ingest.IngestResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Check files as ingest would, without writing records: canonical JSONL by default, or any format "
                + "with --config. Reports every rejected row with file, line and reason.",
                "Exit codes: 0 every row valid, 1 some rows rejected (or duplicated, with --fail-on-duplicates), 2 bad input or config."})
public final class DataValidateCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Ingest config (YAML) for non-canonical input.")
    Path config;

    @Option(names = "--report", description = "Write every rejection and dropped duplicate to this JSON file.")
    Path report;

    @Option(names = "--fail-on-duplicates", description = "Also fail when duplicates are found (they are always counted and listed in the report).")
    boolean failOnDuplicates;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files to check.")
    List<Path> files;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        IngestResult result = IngestRun.run(config, files, report, options);
        boolean ok = result.rejections().isEmpty() && (!failOnDuplicates || result.duplicates().isEmpty());
        System.out.println(ok ? "valid" : "INVALID");
        return ok ? 0 : 1;
    }
}
