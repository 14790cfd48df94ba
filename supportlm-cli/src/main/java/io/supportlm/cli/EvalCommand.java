package io.supportlm.cli;

import io.supportlm.classify.ClassifierEvaluation;
import io.supportlm.eval.ReportWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm eval}: scores a fine-tuned classifier on labelled data and writes the report. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates a fine-tuned classifier on labelled JSONL: accuracy, macro/weighted F1, per-class scores, "
                + "top-k, confusion matrices, and the base model with untrained heads for comparison.",
                "Writes metrics.json, predictions.csv, summary.md and PNG charts to --out."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--adapter", required = true, description = "The classifier directory (runs/<id>/adapter).")
    Path adapter;

    @Option(names = "--data", required = true, description = "Labelled JSONL in the supportlm schema (e.g. the test split).")
    Path data;

    @Option(names = "--model", description = "Base model directory or org/name (default: the one the adapter was trained on).")
    String model;

    @Option(names = "--out", description = "Report directory (default: results/<adapter's run>).")
    Path out;

    @Option(names = "--no-base", description = "Skip the comparison with the base model's untrained heads.")
    boolean noBase;

    @Override
    public Integer call() throws Exception {
        Path abs = adapter.toAbsolutePath();
        String runId = abs.getParent() == null ? abs.getFileName().toString() : abs.getParent().getFileName().toString();
        Path target = out != null ? out : Path.of("results").resolve(runId);
        ReportWriter.WrittenReport report = ClassifierEvaluation.run(adapter, model, data, runId, !noBase, target);
        System.out.println(report.consoleTable());
        System.out.println("report: " + report.summaryMd());
        return 0;
    }
}
