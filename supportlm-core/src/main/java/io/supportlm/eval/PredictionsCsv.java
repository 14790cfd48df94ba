package io.supportlm.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code predictions.csv}: one row per example with {@code id, text, latency_ms}, then per task the columns
 * {@code <task>_gold, <task>_predicted, <task>_confidence, <task>_top_k} (label names; gold is empty where the
 * task does not apply; top-k labels are joined by {@code |}). Text is cut to {@value #SNIPPET_CHARS} characters.
 */
final class PredictionsCsv {
    static final int SNIPPET_CHARS = 160;
    private static final CsvMapper CSV = new CsvMapper();

    private PredictionsCsv() {
    }

    static List<String> header(List<TaskLabels> tasks) {
        var columns = new ArrayList<>(List.of("id", "text", "latency_ms"));
        for (TaskLabels task : tasks) {
            String t = task.task();
            columns.addAll(List.of(t + "_gold", t + "_predicted", t + "_confidence", t + "_top_k"));
        }
        return columns;
    }

    static String render(EvaluationReport report) {
        CsvSchema.Builder schema = CsvSchema.builder();
        header(report.tasks()).forEach(schema::addColumn);
        var rows = new ArrayList<Map<String, String>>(report.examples().size());
        for (ExampleResult example : report.examples()) {
            var row = new LinkedHashMap<String, String>();
            row.put("id", example.id());
            row.put("text", snippet(example.text()));
            row.put("latency_ms", String.format(Locale.ROOT, "%.3f", example.latencyMs()));
            for (TaskLabels task : report.tasks()) {
                String t = task.task();
                TaskPrediction p = example.prediction(t);
                row.put(t + "_gold", p.gold() == ClassificationMetrics.MISSING_GOLD ? "" : task.label(p.gold()));
                row.put(t + "_predicted", task.label(p.predicted()));
                row.put(t + "_confidence", String.format(Locale.ROOT, "%.4f", p.confidence()));
                var topK = new ArrayList<String>();
                for (int c : p.ranked()) {
                    topK.add(task.label(c));
                }
                row.put(t + "_top_k", String.join("|", topK));
            }
            rows.add(row);
        }
        try {
            return CSV.writer(schema.build().withHeader()).writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write predictions of run " + report.runId() + " as CSV", e);
        }
    }

    /** The text on one line, cut to {@link #SNIPPET_CHARS} with an ellipsis. */
    static String snippet(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        if (oneLine.length() <= SNIPPET_CHARS) {
            return oneLine;
        }
        int end = SNIPPET_CHARS - 1;
        if (Character.isHighSurrogate(oneLine.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return oneLine.substring(0, end) + "…";
    }
}
