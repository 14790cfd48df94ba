package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.ingest.IngestResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ingest", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Read CSV/TSV/JSON/JSONL files through a column mapping, normalize, redact PII, drop duplicates, "
                + "and write canonical JSONL. Every row is accounted for: rows read = accepted + rejected + duplicates.",
                "Exit codes: 0 done, 1 rejections under --strict, 2 bad input or config."})
public final class DataIngestCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Ingest config (YAML: format, mapping, labelValues, allowedLabels, required, "
            + "maxChars, dedup, tagSeparator, redact). Without it the input must be canonical JSONL.")
    Path config;

    @Option(names = "--out", required = true, description = "Output JSONL file.")
    Path out;

    @Option(names = "--report", description = "Write every rejection and dropped duplicate to this JSON file.")
    Path report;

    @Option(names = "--strict", description = "Fail (exit 1, no output written) when any row is rejected.")
    boolean strict;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Input files.")
    List<Path> files;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        IngestResult result = IngestRun.run(config, files, report, options);
        if (strict && !result.rejections().isEmpty()) {
            System.err.println("supportlm data ingest: " + result.rejections().size() + " row(s) rejected under --strict; nothing written");
            return 1;
        }
        Jsonl.write(out, result.records());
        System.out.println("wrote " + result.records().size() + " records to " + out);
        return 0;
    }
}
