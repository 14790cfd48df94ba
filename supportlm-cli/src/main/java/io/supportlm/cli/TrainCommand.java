package io.supportlm.cli;

import io.supportlm.classify.ClassifierEvaluation;
import io.supportlm.classify.ClassifierTrainer;
import io.supportlm.eval.ReportWriter;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.DpoTrainer;
import io.supportlm.sft.SftTrainer;
import io.supportlm.sft.data.ChatFormat;
import io.supportlm.sft.data.PreferenceDataset;
import io.supportlm.sft.data.SftDataConfig;
import io.supportlm.sft.data.SftDataset;
import io.supportlm.train.TrainConfig;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm train}: fine-tunes a model from a YAML config (see the defaults printed with --show-defaults). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Fine-tunes a model: ticket classification (task classify, one or several label tasks at once),",
                "reply generation (task sft) or preference tuning (task dpo) with LoRA, QLoRA or prompt tuning.",
                "The config is YAML; every key and its default is listed in the resolved config printed at start.",
                "sft reads conversations as JSONL (supportlm records, {\"messages\": [..]}, {\"prompt\", \"completion\"}), dpo reads",
                "{\"prompt\", \"chosen\", \"rejected\"} pairs; both are rendered with the model's chat template and trained on the",
                "replies only (docs/sft.md)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "YAML training config.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set optim.learning_rate=1e-3 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--task", description = "classify, sft or dpo (same as --set task=...).")
    String task;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue a stopped run from its latest checkpoint (its saved config is used).")
    Path resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        TrainConfig c;
        Path runDir;
        if (resume != null) {
            c = TrainConfig.read(resume.resolve("config.yaml"));
            runDir = resume;
        } else {
            if (config == null && overrides.isEmpty()) {
                throw new IllegalArgumentException("give --config FILE (and/or --set key=value overrides), or --resume RUN_DIR");
            }
            List<String> all = new ArrayList<>(overrides);
            if (task != null) {
                all.add("task=" + task);
            }
            c = TrainConfig.load(config, all);
            String id = c.runId() != null ? c.runId()
                    : Path.of(c.model()).getFileName() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            c = c.withRunId(id);
            runDir = Path.of(c.outputDir()).resolve(id);
        }
        System.err.println("# resolved config\n" + c.toYaml());
        return run(c, runDir, resume != null, !quiet);
    }

    /** Trains, then evaluates on the test split when the config names one. */
    static int run(TrainConfig c, Path runDir, boolean resume, boolean progress) throws Exception {
        if (!c.task().equals("classify")) {
            return trainGeneration(c, runDir, resume, progress);
        }
        ClassifierTrainer.Result r = train(c, runDir, resume, progress);
        if (c.data().test() != null) {
            evaluate(r.adapterDir(), c.model(), Path.of(c.data().test()), runDir.getFileName().toString());
        }
        return 0;
    }

    /**
     * Task sft or dpo: reads the conversations (or preference pairs) of data.train and
     * data.validation, renders them with the model's chat template (the plain format without
     * one), labels the replies, truncates per the {@code sft:} section, prints the data
     * statistics, and trains.
     */
    static int trainGeneration(TrainConfig c, Path runDir, boolean resume, boolean progress) throws Exception {
        PeakMemory.trackLiveHeap();
        Path validation = c.data().validation() == null ? null : Path.of(c.data().validation());
        SftDataConfig data = SftTrainer.dataConfig(c);
        try (LoadedModel model = LoadedModel.open(c.model()); TrainProgress bar = new TrainProgress(progress)) {
            ModelDirectory dir = model.directory();
            System.err.println("chat format: " + ChatFormat.forModel(dir, model.tokenizer()).describe()
                    + (data.systemPrompt() == null ? "" : "; system prompt: " + data.systemPrompt()));
            if (c.task().equals("sft")) {
                SftDataset train = SftDataset.load(Path.of(c.data().train()), dir, model.tokenizer(), data);
                System.err.println("train data " + c.data().train() + ": " + train.stats().summary());
                SftDataset valid = validation == null ? null : SftDataset.load(validation, dir, model.tokenizer(), data);
                if (valid != null) {
                    System.err.println("validation data " + validation + ": " + valid.stats().summary());
                }
                System.err.println("replies end with token ids " + train.stopIds());
                SftTrainer.Result r = SftTrainer.train(c, model, train.examples(), valid == null ? null : valid.examples(),
                        train.stopIds(), runDir, resume, bar);
                bar.close();
                System.out.printf("trained %d steps in %.1f s (%.0f tokens/s), %,d trainable parameters%s%n", r.steps(), r.seconds(),
                        r.tokens() / Math.max(1e-9, r.seconds()), r.trainableParameters(), r.stoppedEarly() ? ", stopped early" : "");
                if (Double.isFinite(r.bestValidationLoss())) {
                    System.out.printf("best validation loss %.4f at step %d%n", r.bestValidationLoss(), r.bestStep());
                }
                System.out.println("adapter: " + r.adapterDir());
            } else {
                PreferenceDataset train = PreferenceDataset.load(Path.of(c.data().train()), dir, model.tokenizer(), data);
                System.err.println("train pairs " + c.data().train() + ": " + train.stats().summary());
                PreferenceDataset valid = validation == null ? null : PreferenceDataset.load(validation, dir, model.tokenizer(), data);
                if (valid != null) {
                    System.err.println("validation pairs " + validation + ": " + valid.stats().summary());
                }
                DpoTrainer.Result r = DpoTrainer.train(c, model, train.pairs(), valid == null ? null : valid.pairs(), train.stopIds(),
                        runDir, resume, bar);
                bar.close();
                System.out.printf("trained %d steps in %.1f s; last step: reward margin %.4f, accuracy %.3f%s%n", r.steps(),
                        r.seconds(), r.lastMargin(), r.lastAccuracy(), r.stoppedEarly() ? ", stopped early" : "");
                if (Double.isFinite(r.bestValidationLoss())) {
                    System.out.printf("best validation DPO loss %.4f at step %d%n", r.bestValidationLoss(), r.bestStep());
                }
                System.out.println("adapter: " + r.adapterDir());
            }
        }
        System.out.println(PeakMemory.describe());
        return 0;
    }

    /** Trains and prints the outcome. Shared with {@code demo}. */
    static ClassifierTrainer.Result train(TrainConfig c, Path runDir, boolean resume, boolean progress) throws Exception {
        PeakMemory.trackLiveHeap();
        ClassifierTrainer.Result r;
        try (LoadedModel model = LoadedModel.open(c.model()); TrainProgress bar = new TrainProgress(progress)) {
            r = ClassifierTrainer.train(c, model, runDir, resume, bar);
        }
        System.out.printf("trained %d steps in %.1f s (%.0f tokens/s), %,d trainable parameters%s%n", r.steps(), r.seconds(),
                r.tokens() / Math.max(1e-9, r.seconds()), r.trainableParameters(), r.stoppedEarly() ? ", stopped early" : "");
        if (Double.isFinite(r.bestMacroF1())) {
            System.out.printf("best validation mean macro-F1 %.4f at step %d%n", r.bestMacroF1(), r.bestStep());
        }
        System.out.println("adapter: " + r.adapterDir());
        System.out.println(PeakMemory.describe());
        return r;
    }

    /** Scores the adapter on labelled data against the untrained base, writes results/<run-id>/ and prints the table. */
    static void evaluate(Path adapter, String model, Path data, String runId) throws Exception {
        ReportWriter.WrittenReport report = ClassifierEvaluation.run(adapter, model, data, runId, true,
                Path.of("results").resolve(runId));
        System.out.println();
        System.out.println(report.consoleTable());
        System.out.println("report: " + report.summaryMd());
    }
}
