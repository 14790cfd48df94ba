package io.supportlm.classify;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.eval.EvaluationReport;
import io.supportlm.eval.ReportWriter;
import io.supportlm.model.LoadedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Evaluates a fine-tuned classifier on labelled data, optionally against its base model with
 * untrained heads (what the adapter and heads added), and writes the report: metrics.json,
 * predictions.csv, summary.md, confusion matrices and the per-task F1 radar chart.
 */
public final class ClassifierEvaluation {
    private ClassifierEvaluation() {}

    public static final int[] TOP_K = {1, 3, 5};

    /**
     * @param adapterDir a classifier saved by training ({@code runs/<id>/adapter})
     * @param model the base model, or null for the one recorded in the adapter
     */
    public static ReportWriter.WrittenReport run(Path adapterDir, String model, Path data, String runId, boolean withBase,
                                                 Path outDir) throws IOException {
        return run(List.of(adapterDir), model, data, runId, withBase, outDir);
    }

    /**
     * As {@link #run(Path, String, Path, String, boolean, Path)} for one classifier or an ensemble
     * of several trained on the same tasks (their probabilities averaged; see {@link LoadedClassifiers}).
     */
    public static ReportWriter.WrittenReport run(List<Path> adapterDirs, String model, Path data, String runId, boolean withBase,
                                                 Path outDir) throws IOException {
        List<SupportRecord> records = Jsonl.read(data);
        EvaluationReport tuned;
        ClassifierCheckpoint.Meta meta;
        String base;
        try (LoadedClassifiers classifiers = LoadedClassifiers.open(adapterDirs, model)) {
            meta = classifiers.meta();
            base = classifiers.model().name();
            LoadedModel m = classifiers.model();
            LabeledTexts texts = LabeledTexts.of(records, meta.tasks(), m.tokenizer(), meta.maxLength(), true);
            String name = classifiers.size() == 1 ? "fine-tuned" : "fine-tuned, ensemble of " + classifiers.size();
            tuned = classifiers.predictor(32).evaluate(texts, runId, name, TOP_K);
        }
        List<EvaluationReport> comparisons = new ArrayList<>();
        if (withBase) {
            try (LoadedModel m = LoadedModel.open(base)) {
                MultiTaskClassifier untrained = new MultiTaskClassifier(m.backbone(), meta.pooling(), meta.headDropout(),
                        meta.tasks(), new Random(0));
                LabeledTexts texts = LabeledTexts.of(records, meta.tasks(), m.tokenizer(), meta.maxLength(), true);
                comparisons.add(new ClassifierPredictor(untrained, m.tokenizer(), meta.maxLength(), m.padId(), 32)
                        .evaluate(texts, runId, "base, untrained heads", TOP_K));
            }
        }
        return ReportWriter.write(tuned, comparisons, outDir);
    }
}
