package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.split.SplitConfig;
import io.supportlm.data.split.SplitResult;
import io.supportlm.data.split.Splitter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "split", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Split canonical JSONL into DIR/train.jsonl, validation.jsonl and test.jsonl: deterministic for a seed, "
                + "stratified, and with near-duplicates kept in one split (checked).",
                "Exit codes: 0 done, 1 leakage found, 2 bad input."})
public final class DataSplitCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Canonical JSONL files.")
    List<Path> files;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Seed.")
    long seed;

    @Option(names = "--ratios", defaultValue = "0.8,0.1,0.1", description = "train,validation,test fractions.")
    String ratios;

    @Option(names = "--stratify", description = "Label task to stratify by (e.g. queue), or tag:PREFIX to use the first tag with that prefix.")
    String stratify;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        String[] r = ratios.split(",");
        if (r.length != 3) {
            throw new IllegalArgumentException("--ratios needs three fractions like 0.8,0.1,0.1, got '" + ratios + "'");
        }
        double[] f = new double[3];
        for (int i = 0; i < 3; i++) {
            try {
                f[i] = Double.parseDouble(r[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ratios: '" + r[i] + "' is not a number");
            }
        }
        List<SupportRecord> records = new ArrayList<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("input file not found: " + file);
            }
            records.addAll(Jsonl.read(file));
        }
        SplitResult result;
        try {
            result = new Splitter(new SplitConfig(f[0], f[1], f[2], seed, stratify)).split(records);
        } catch (IllegalStateException e) {
            System.err.println("supportlm data split: " + e.getMessage());
            return 1;
        }
        result.warnings().forEach(w -> System.err.println("warning: " + w));
        for (var e : result.byName().entrySet()) {
            Path file = out.resolve(e.getKey() + ".jsonl");
            Jsonl.write(file, e.getValue());
            System.out.printf("%-10s %6d records -> %s%n", e.getKey(), e.getValue().size(), file);
        }
        System.out.println("leakage check: no near-duplicate crosses splits");
        return 0;
    }
}
