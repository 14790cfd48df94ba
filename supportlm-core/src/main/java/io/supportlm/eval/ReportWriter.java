package io.supportlm.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a report into its output folder ({@code results/<run-id>/} by convention): {@code metrics.json},
 * {@code predictions.csv}, {@code summary.md}, {@code confusion_<task>.png} per task and
 * {@code radar_macro_f1.png} comparing the report's model with the given comparison models (for example the base model with untrained heads). Every file is written to a temporary
 * name and moved into place; {@code metrics.json} comes last, so its presence means the report is complete.
 */
public final class ReportWriter {
    public static final String METRICS_JSON = "metrics.json";
    public static final String PREDICTIONS_CSV = "predictions.csv";
    public static final String SUMMARY_MD = "summary.md";
    public static final String RADAR_PNG = "radar_macro_f1.png";

    private ReportWriter() {
    }

    /**
     * The files written, and the console table for the caller to print.
     *
     * @param confusionPngs per task name, its confusion-matrix image
     * @param radarPng the radar chart (see {@link ReportCharts#spokes} for its spokes)
     */
    public record WrittenReport(Path directory, Path metricsJson, Path predictionsCsv, Path summaryMd,
                                Map<String, Path> confusionPngs, Path radarPng, String consoleTable) {
        public WrittenReport {
            confusionPngs = Map.copyOf(confusionPngs);
        }
    }

    /** Writes {@code report} alone (the radar chart then has one polygon). */
    public static WrittenReport write(EvaluationReport report, Path outputDir) {
        return write(report, List.of(), outputDir);
    }

    /**
     * Writes {@code report}, with {@code comparisons} (other models on the same tasks) beside it in the overview
     * tables and the radar chart.
     *
     * @throws IllegalArgumentException if a comparison lacks one of the report's tasks or two models share a name
     * @throws java.io.UncheckedIOException if a file cannot be written
     */
    public static WrittenReport write(EvaluationReport report, List<EvaluationReport> comparisons, Path outputDir) {
        comparisons = List.copyOf(comparisons);
        var models = new HashSet<String>();
        models.add(report.model());
        for (EvaluationReport other : comparisons) {
            if (!models.add(other.model())) {
                throw new IllegalArgumentException("two reports are both named '" + other.model()
                        + "'; charts and tables tell models apart by name");
            }
            for (TaskLabels task : report.tasks()) {
                if (!other.metrics().containsKey(task.task())) {
                    throw new IllegalArgumentException("comparison '" + other.model() + "' has no task '"
                            + task.task() + "' (it has " + other.metrics().keySet() + ")");
                }
            }
        }

        var confusionPngs = new LinkedHashMap<String, Path>();
        for (TaskLabels task : report.tasks()) {
            Path png = outputDir.resolve(confusionPngName(task.task()));
            AtomicFiles.write(png, ReportCharts.confusionMatrixPng(report.metrics(task.task())));
            confusionPngs.put(task.task(), png);
        }
        List<String> taskNames = report.tasks().stream().map(TaskLabels::task).toList();
        Path radarFile = outputDir.resolve(RADAR_PNG);
        AtomicFiles.write(radarFile, ReportCharts.spokes(taskNames, withComparisons(report, comparisons)).png());
        String radarName = RADAR_PNG;

        Path csv = outputDir.resolve(PREDICTIONS_CSV);
        AtomicFiles.write(csv, PredictionsCsv.render(report));
        Path summary = outputDir.resolve(SUMMARY_MD);
        AtomicFiles.write(summary, SummaryMarkdown.render(report, comparisons, radarName));
        Path json = outputDir.resolve(METRICS_JSON);
        AtomicFiles.write(json, MetricsJson.render(report, comparisons, radarName));
        return new WrittenReport(outputDir, json, csv, summary, confusionPngs, radarFile,
                ConsoleTable.render(report, comparisons));
    }

    /** The file name of a task's confusion-matrix image. */
    public static String confusionPngName(String task) {
        return "confusion_" + task + ".png";
    }

    private static List<EvaluationReport> withComparisons(EvaluationReport report, List<EvaluationReport> others) {
        var all = new ArrayList<EvaluationReport>();
        all.add(report);
        all.addAll(others);
        return all;
    }
}
