package io.supportlm.cli;

import io.supportlm.eval.reply.EvalSuite;
import io.supportlm.eval.reply.OfflineJudge;
import io.supportlm.eval.reply.RefusalDetector;
import io.supportlm.eval.reply.ReplyEvaluation;
import io.supportlm.eval.reply.ReplyModel;
import io.supportlm.eval.reply.ReplyReport;
import io.supportlm.eval.reply.ReplyReportWriter;
import io.supportlm.eval.reply.Responder;
import io.supportlm.model.LoadedModel;
import io.supportlm.sft.SftTrainer;
import io.supportlm.sft.data.SftDataConfig;
import io.supportlm.sft.data.SftDataset;
import io.supportlm.train.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code supportlm compare}: LoRA, QLoRA and prompt tuning on the same SFT data and config (each
 * with its own learning rate), each evaluated on the same suites against the base model, in one
 * report with a recommendation ({@link ReplyMethodReport}).
 */
@Command(name = "compare", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Trains LoRA, QLoRA and prompt tuning for reply generation on the same data (task sft, same config and "
                + "seed, each method's own learning rate), evaluates each on the suites against the base model (greedy, offline "
                + "judge) and writes one report: quality (BLEU, ROUGE-L, exact match, win rate, hallucination and refusal "
                + "rates), training time, trainable parameters, adapter size, latency p50/p95, tokens/s, and a recommendation "
                + "(the cheapest method within --tolerance ROUGE-L of the best).",
                "Writes OUT/comparison.md, comparison.json, comparison.png, OUT/<method>/ (each evaluation report) and "
                        + "OUT/runs/<method>/ (each training run)."})
final class CompareCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Base decoder directory or org/name.")
    String model;

    @Option(names = "--train", required = true, description = "SFT training data (JSONL conversations, docs/sft.md).")
    Path train;

    @Option(names = "--validation", description = "Validation conversations (best checkpoint, early stopping).")
    Path validation;

    @Option(names = "--suite", required = true, paramLabel = "FILE", description = "Evaluation suite(s) (JSONL, docs/evaluation.md).")
    List<Path> suites = new ArrayList<>();

    @Option(names = "--config", description = "Training config YAML shared by every method (task and method are set here).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Config override for every method (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--methods", split = ",", defaultValue = "lora,qlora,prompt", description = "Methods to compare.")
    List<String> methods = new ArrayList<>();

    @Option(names = "--lr", paramLabel = "METHOD=RATE", description = "A method's learning rate (repeatable). Default: "
            + "optim.learning_rate of the config for lora and qlora, 20 times it for prompt (1e-2 at the default 5e-4).")
    Map<String, Double> learningRates = new LinkedHashMap<>();

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Most tokens per answer.")
    int maxNewTokens;

    @Option(names = "--limit", description = "Evaluate only the first N questions.")
    Integer limit;

    @Option(names = "--tolerance", defaultValue = "0.02", description = "ROUGE-L F1 (or win rate) within which methods count as "
            + "equally good; the cheapest of those is recommended.")
    double tolerance;

    @Option(names = "--out", description = "Report directory (default: results/compare-<suite>).")
    Path out;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        for (String m : methods) {
            if (!List.of("lora", "qlora", "prompt").contains(m)) {
                throw new IllegalArgumentException("--methods: unknown method '" + m + "' (lora, qlora, prompt)");
            }
        }
        for (String m : learningRates.keySet()) {
            if (!methods.contains(m)) {
                throw new IllegalArgumentException("--lr " + m + "=…: '" + m + "' is not among --methods " + methods);
            }
        }
        EvalSuite suite = ReplySuiteEval.merge(suites, limit);
        Path target = out != null ? out : Path.of("results").resolve("compare-" + suite.name());
        TrainConfig shared = config(methods.getFirst(), null);
        SftDataConfig dataConfig = SftTrainer.dataConfig(shared);
        SftDataset trainData;
        SftDataset validData;
        try (LoadedModel m = LoadedModel.open(model)) {
            trainData = SftDataset.load(train, m.directory(), m.tokenizer(), dataConfig);
            validData = validation == null ? null : SftDataset.load(validation, m.directory(), m.tokenizer(), dataConfig);
        }
        System.err.println("train data " + train + ": " + trainData.stats().summary());

        RefusalDetector refusals = new RefusalDetector();
        OfflineJudge judge = new OfflineJudge(0.02, refusals);
        List<ReplyMethodReport.Row> rows = new ArrayList<>();
        ReplyReport lastReport = null;
        try (ReplyModel base = ReplyModel.open(model, null)) {
            Memo baseAnswers = null;
            for (String method : methods) {
                double lr = learningRates.getOrDefault(method, method.equals("prompt") ? 20 * shared.optim().learningRate()
                        : shared.optim().learningRate());
                TrainConfig c = config(method, lr).withRunId(method);
                Path runDir = target.resolve("runs").resolve(method);
                System.err.printf(Locale.ROOT, "%n== %s (learning rate %.1e)%n", method, lr);
                SftTrainer.Result r;
                try (LoadedModel m = LoadedModel.open(model); TrainProgress bar = new TrainProgress(!quiet)) {
                    r = SftTrainer.train(c, m, trainData.examples(), validData == null ? null : validData.examples(),
                            trainData.stopIds(), runDir, false, bar);
                }
                System.err.printf(Locale.ROOT, "trained %d steps in %.1f s, %,d trainable parameters%n", r.steps(), r.seconds(),
                        r.trainableParameters());
                try (ReplyModel tuned = ReplyModel.open(model, r.adapterDir())) {
                    String system = tuned.trainedSystemPrompt();
                    if (baseAnswers == null) {
                        baseAnswers = new Memo(base.responder("base", maxNewTokens, system));
                    }
                    var setup = new ReplyReport.Setup(suite.name(), model, model, r.adapterDir().toString(),
                            ReplyModel.sizeOnDisk(tuned.directory()), ReplyModel.sizeOnDisk(r.adapterDir()), maxNewTokens, "greedy",
                            judge.description());
                    ReplyReport report = ReplyEvaluation.run(suite, tuned.responder(method, maxNewTokens, system), baseAnswers, judge,
                            refusals, setup, null);
                    ReplyReportWriter.Written w = ReplyReportWriter.write(report, target.resolve(method));
                    System.err.print(w.consoleTable());
                    rows.add(new ReplyMethodReport.Row(method, lr, r.seconds(), r.steps(), r.trainableParameters(),
                            ReplyModel.sizeOnDisk(r.adapterDir()), report.tuned(), report.judge(), w.summaryMd()));
                    lastReport = report;
                }
            }
        }
        ReplyMethodReport.Recommendation rec = ReplyMethodReport.recommend(rows, lastReport.base(), tolerance);
        ReplyMethodReport.write(target, suite.name(), model, rows, lastReport.base(), rec, tolerance);
        System.out.println();
        System.out.print(ReplyMethodReport.markdown(suite.name(), model, rows, lastReport.base(), rec, tolerance));
        System.out.println("report: " + target.resolve(ReplyMethodReport.MARKDOWN));
        return 0;
    }

    /** The shared config with this method (and learning rate, when given); prompt tuning does not pack. */
    private TrainConfig config(String method, Double lr) throws java.io.IOException {
        List<String> all = new ArrayList<>(overrides);
        all.addAll(List.of("task=sft", "method=" + method, "model=" + model, "data.train=" + train));
        if (validation != null) {
            all.add("data.validation=" + validation);
        }
        if (lr != null) {
            all.add("optim.learning_rate=" + lr);
        }
        if (method.equals("prompt")) {
            all.add("sft.packing=false");
        }
        return TrainConfig.load(config, all);
    }

    /**
     * The base model's answers, computed once and reused for every method: decoding is greedy, so
     * the same prompt gets the same answer (and its latency is measured once). The first call is
     * the evaluation's untimed warm-up and is not kept.
     */
    static final class Memo implements Responder {
        private final Responder inner;
        private final Map<String, Answer> answers = new HashMap<>();
        private boolean warmedUp;

        Memo(Responder inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public Answer answer(String question, String context) {
            if (!warmedUp) {
                warmedUp = true;
                return inner.answer(question, context);
            }
            return answers.computeIfAbsent(question + "\u0000" + context, k -> inner.answer(question, context));
        }
    }
}
