package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.report.DataReport;
import io.supportlm.data.report.IngestSection;
import io.supportlm.data.report.ReportWriter;
import io.supportlm.data.report.TokenCounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Write report.md and PNG charts: counts per label per split, text-length percentiles, duplicates, redactions.",
                "Each input is a JSONL file (named after its file) or a directory holding train/validation/test.jsonl."})
public final class DataReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "INPUT", description = "Split directories or JSONL files.")
    List<Path> inputs;

    @Option(names = "--out", required = true, description = "Output directory for report.md and the charts.")
    Path out;

    @Option(names = "--tasks", split = ",", description = "Label tasks to report (default: all found).")
    List<String> tasks;

    @Option(names = "--tokenizer", description = "A model directory (or its tokenizer.json): report lengths in that model's tokens.")
    Path tokenizer;

    @Option(names = "--length-unit", defaultValue = "words", description = "Length unit without --tokenizer: words or chars.")
    String unit;

    @Option(names = "--ingest-report", description = "JSON written by `data ingest --report`: adds rows read, rejections and redactions.")
    Path ingestReport;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        if (tokenizer == null) {
            return report(switch (unit) {
                case "words" -> TokenCounter.WORDS;
                case "chars" -> TokenCounter.CHARS;
                default -> throw new IllegalArgumentException("--length-unit must be words or chars, got '" + unit + "'");
            });
        }
        try (io.supportlm.model.hf.HfTokenizer hf = Files.isDirectory(tokenizer) ? io.supportlm.model.hf.HfTokenizer.load(tokenizer)
                : io.supportlm.model.hf.HfTokenizer.load(tokenizer, null, null)) {
            return report(TokenCounter.of(hf, dir(tokenizer)));
        }
    }

    private int report(TokenCounter counter) throws Exception {
        Map<String, List<SupportRecord>> splits = new LinkedHashMap<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                boolean any = false;
                for (String name : List.of("train", "validation", "test")) {
                    Path f = in.resolve(name + ".jsonl");
                    if (Files.isRegularFile(f)) {
                        splits.put(name, Jsonl.read(f));
                        any = true;
                    }
                }
                if (!any) {
                    throw new IllegalArgumentException(in + " holds no train/validation/test.jsonl");
                }
            } else if (Files.isRegularFile(in)) {
                String name = in.getFileName().toString().replaceFirst("\\.jsonl?$", "");
                splits.put(name, Jsonl.read(in));
            } else {
                throw new IllegalArgumentException("input not found: " + in);
            }
        }
        DataReport report = DataReport.of(splits, tasks, counter);
        List<Path> written = ReportWriter.write(report, out);
        if (ingestReport != null) {
            if (!Files.isRegularFile(ingestReport)) {
                throw new IllegalArgumentException("ingest report not found: " + ingestReport);
            }
            Files.writeString(written.getFirst(), IngestSection.markdown(ingestReport), java.nio.file.StandardOpenOption.APPEND);
        }
        for (Path p : written) {
            System.out.println("wrote " + p);
        }
        return 0;
    }

    private static String dir(Path tokenizer) {
        Path p = tokenizer.toAbsolutePath();
        return (java.nio.file.Files.isDirectory(p) ? p : p.getParent()).getFileName().toString();
    }
}
