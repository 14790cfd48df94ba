package io.supportlm.cli;

import io.supportlm.classify.ClassifierEvaluation;
import io.supportlm.eval.ReportWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code supportlm eval}: scores a fine-tuned classifier on labelled data ({@code --adapter --data}),
 * or a reply-generating model on evaluation suites ({@code --suite}, see {@link ReplySuiteEval}).
 */
@Command(name = "eval", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Evaluates a fine-tuned model and writes the report to --out.",
                "Classifier: --adapter DIR --data FILE: accuracy, macro/weighted F1, per-class scores, top-k, confusion matrices, "
                        + "and the base model with untrained heads; writes metrics.json, predictions.csv, summary.md, PNG charts.",
                "Replies: --suite FILE [--suite FILE…] --model DIR [--adapter DIR | --tuned-model DIR]: answers every question "
                        + "with the tuned and the base model (greedy), scores BLEU (sacreBLEU 13a), ROUGE-L, exact match, "
                        + "hallucinated claims, refusals on safety questions, latency and tokens/s, and the win rate against "
                        + "the base model by a judge (offline, or an OpenAI-compatible LLM); writes results.csv, results.json, "
                        + "summary.md, samples.md and PNG charts. See docs/evaluation.md."})
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--adapter", paramLabel = "DIR", description = "Classifier: the classifier directory (runs/<id>/adapter); "
            + "repeat it to score an ensemble (the classifiers' probabilities averaged). "
            + "Replies: a causal-LM adapter applied to --model to make the tuned model.")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--data", description = "Classifier: labelled JSONL in the supportlm schema (e.g. the test split).")
    Path data;

    @Option(names = "--model", description = "Base model directory or org/name (classifier default: the one the adapter was trained on).")
    String model;

    @Option(names = "--out", description = "Report directory (default: results/<adapter's run>, or results/eval-<suite> for --suite).")
    Path out;

    @Option(names = "--no-base", description = "Skip the comparison with the base model.")
    boolean noBase;

    @Option(names = "--suite", paramLabel = "FILE", description = "Reply suite(s) in JSONL (e.g. suites/bitext-support-100.jsonl); "
            + "several are evaluated together.")
    List<Path> suites = new ArrayList<>();

    @ArgGroup(exclusive = false, heading = "Reply evaluation (--suite):%n")
    ReplySuiteEval.Options reply = new ReplySuiteEval.Options();

    @Override
    public Integer call() throws Exception {
        if (!suites.isEmpty()) {
            if (data != null) {
                throw new IllegalArgumentException("--data is for classifiers; --suite evaluates replies: give one or the other");
            }
            if (adapters.size() > 1) {
                throw new IllegalArgumentException("--suite takes one --adapter (the tuned model's), got " + adapters.size());
            }
            return ReplySuiteEval.run(suites, model, adapters.isEmpty() ? null : adapters.get(0), out, noBase, reply);
        }
        if (adapters.isEmpty() || data == null) {
            throw new IllegalArgumentException("give --adapter and --data to evaluate a classifier, or --suite and --model to evaluate replies");
        }
        Path abs = adapters.get(0).toAbsolutePath();
        String runId = abs.getParent() == null ? abs.getFileName().toString() : abs.getParent().getFileName().toString();
        if (adapters.size() > 1) {
            runId += "-ensemble" + adapters.size();
        }
        Path target = out != null ? out : Path.of("results").resolve(runId);
        ReportWriter.WrittenReport report = ClassifierEvaluation.run(adapters, model, data, runId, !noBase, target);
        System.out.println(report.consoleTable());
        System.out.println("report: " + report.summaryMd());
        return 0;
    }
}
