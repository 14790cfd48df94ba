package io.supportlm.cli;

import io.supportlm.data.ingest.IngestConfig;
import io.supportlm.eval.reply.EvalSuite;
import io.supportlm.eval.reply.SuiteDraw;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code supportlm data suite}: draws an evaluation suite from the held-out test split of a dataset. */
@Command(name = "suite", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Draw an evaluation suite for `supportlm eval --suite` from the held-out test split: the files are "
                + "ingested with --config and split as training splits them (seed 42, stratified by intent, 80/10/10); "
                + "--size questions with their reference answers are drawn from test only, stratified by --stratify, "
                + "deterministically for --seed. Items keep the source record ids.",
                "Example (the shipped suite): supportlm data suite --config docs/examples/bitext-ingest.yaml "
                        + "--out suites/bitext-support-100.jsonl shared/datasets/bitext-support/bitext_support_4k.csv"})
public final class DataSuiteCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Dataset files (CSV or JSONL) to ingest.")
    List<Path> files;

    @Option(names = "--config", required = true, description = "Ingest config (column mapping), e.g. docs/examples/bitext-ingest.yaml.")
    Path config;

    @Option(names = "--out", required = true, description = "Suite JSONL to write.")
    Path out;

    @Option(names = "--size", defaultValue = "100", description = "Questions to draw.")
    int size;

    @Option(names = "--stratify", defaultValue = "intent", description = "Label to stratify the draw by.")
    String stratify;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the draw (the split's seed is always 42).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(config)) {
            throw new IllegalArgumentException("--config: file not found: " + config);
        }
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("input file not found: " + f);
            }
        }
        SuiteDraw.Drawn drawn = SuiteDraw.fromDataset(files, IngestConfig.load(config), size, stratify, seed);
        EvalSuite.write(out, drawn.items());
        System.out.printf("drew %d of %d test-split records (stratified by %s, %d strata) -> %s%n",
                drawn.items().size(), drawn.testRecords(), stratify, drawn.perStratum().size(), out);
        return 0;
    }
}
