package io.supportlm.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;

/**
 * {@code metrics.json}: the numbers of a report under stable snake_case field names (built as a tree, so renaming
 * a Java field never changes the file).
 *
 * <pre>{@code
 * { "run_id", "model", "examples", "top_k": [1, 3, 5], "mean_macro_f1",
 *   "latency_ms": {"mean", "p50", "p95", "max"},
 *   "tasks": { "<task>": { "evaluated", "missing_gold", "accuracy", "macro_precision", "macro_recall",
 *       "macro_f1", "weighted_f1", "top_k_accuracy": {"1": ..}, "confusion_matrix_png",
 *       "per_class": [{"label", "precision", "recall", "f1", "support", "predicted", "correct", "averaged"}],
 *       "labels": [..], "confusion_matrix": [[gold row of predicted counts], ..] } },
 *   "comparisons": [{"model", "mean_macro_f1", "macro_f1": {"<task>": ..}}],
 *   "radar_png" }
 * }</pre>
 */
final class MetricsJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MetricsJson() {
    }

    static String render(EvaluationReport report, List<EvaluationReport> comparisons, String radarPng) {
        ObjectNode root = JSON.createObjectNode();
        root.put("run_id", report.runId());
        root.put("model", report.model());
        root.put("examples", report.examples().size());
        ArrayNode ks = root.putArray("top_k");
        Arrays.stream(report.ks()).sorted().forEach(ks::add);
        root.put("mean_macro_f1", report.meanMacroF1());
        if (!report.examples().isEmpty()) {
            double[] latencies = report.examples().stream().mapToDouble(ExampleResult::latencyMs).sorted()
                    .toArray();
            ObjectNode latency = root.putObject("latency_ms");
            latency.put("mean", Arrays.stream(latencies).average().orElseThrow());
            latency.put("p50", nearestRank(latencies, 0.50));
            latency.put("p95", nearestRank(latencies, 0.95));
            latency.put("max", latencies[latencies.length - 1]);
        }
        ObjectNode tasks = root.putObject("tasks");
        for (TaskLabels task : report.tasks()) {
            tasks.set(task.task(), taskNode(report.metrics(task.task())));
        }
        ArrayNode compared = root.putArray("comparisons");
        for (EvaluationReport other : comparisons) {
            ObjectNode node = compared.addObject();
            node.put("model", other.model());
            node.put("mean_macro_f1", other.meanMacroF1());
            ObjectNode f1 = node.putObject("macro_f1");
            for (TaskLabels task : other.tasks()) {
                f1.put(task.task(), other.metrics(task.task()).macroF1());
            }
        }
        if (radarPng != null) {
            root.put("radar_png", radarPng);
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize metrics of run " + report.runId(), e);
        }
    }

    private static ObjectNode taskNode(ClassificationMetrics m) {
        ObjectNode node = JSON.createObjectNode();
        node.put("evaluated", m.evaluated());
        node.put("missing_gold", m.missingGold());
        node.put("accuracy", m.accuracy());
        node.put("macro_precision", m.macroPrecision());
        node.put("macro_recall", m.macroRecall());
        node.put("macro_f1", m.macroF1());
        node.put("weighted_f1", m.weightedF1());
        ObjectNode topK = node.putObject("top_k_accuracy");
        m.topKAccuracy().forEach((k, accuracy) -> topK.put(Integer.toString(k), accuracy));
        node.put("confusion_matrix_png", ReportWriter.confusionPngName(m.task()));
        ArrayNode perClass = node.putArray("per_class");
        for (var c : m.perClass()) {
            ObjectNode row = perClass.addObject();
            row.put("label", c.label());
            row.put("precision", c.precision());
            row.put("recall", c.recall());
            row.put("f1", c.f1());
            row.put("support", c.support());
            row.put("predicted", c.predicted());
            row.put("correct", c.correct());
            row.put("averaged", c.averaged());
        }
        ArrayNode labels = node.putArray("labels");
        m.labels().forEach(labels::add);
        ArrayNode confusion = node.putArray("confusion_matrix");
        for (int[] goldRow : m.confusion()) {
            ArrayNode row = confusion.addArray();
            Arrays.stream(goldRow).forEach(row::add);
        }
        return node;
    }

    /** The nearest-rank percentile of sorted values. */
    static double nearestRank(double[] sorted, double fraction) {
        int rank = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }
}
