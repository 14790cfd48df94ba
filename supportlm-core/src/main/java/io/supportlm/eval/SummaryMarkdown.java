package io.supportlm.eval;

import java.util.List;
import java.util.Locale;

/**
 * {@code summary.md}: an overview table (one row per task, with the comparison models' macro-F1 beside it), then
 * per task its headline numbers, the per-class table and the confusion-matrix image.
 */
final class SummaryMarkdown {
    private SummaryMarkdown() {
    }

    static String render(EvaluationReport report, List<EvaluationReport> comparisons, String radarPng) {
        var md = new StringBuilder();
        md.append("# Evaluation: ").append(report.runId()).append("\n\n");
        md.append("Model: ").append(escape(report.model())).append(" · examples: ")
                .append(report.examples().size()).append(" · mean macro-F1 over tasks: ")
                .append(num(report.meanMacroF1())).append("\n\n");

        md.append("| task | scored | accuracy | macro-F1 | weighted-F1 |");
        for (int k : sortedKs(report)) {
            md.append(" top-").append(k).append(" |");
        }
        for (EvaluationReport other : comparisons) {
            md.append(" macro-F1, ").append(escape(other.model())).append(" |");
        }
        md.append('\n').append("|---|---:|---:|---:|---:|");
        md.append("---:|".repeat(sortedKs(report).length + comparisons.size())).append('\n');
        for (TaskLabels task : report.tasks()) {
            ClassificationMetrics m = report.metrics(task.task());
            md.append("| ").append(escape(task.task())).append(" | ").append(m.evaluated()).append(" | ")
                    .append(num(m.accuracy())).append(" | ").append(num(m.macroF1())).append(" | ")
                    .append(num(m.weightedF1())).append(" |");
            for (double accuracy : m.topKAccuracy().values()) {
                md.append(' ').append(num(accuracy)).append(" |");
            }
            for (EvaluationReport other : comparisons) {
                md.append(' ').append(num(other.metrics(task.task()).macroF1())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
        if (radarPng != null) {
            md.append("![Scores per task, fine-tuned against the comparison models](").append(radarPng).append(")\n\n");
        }

        for (TaskLabels task : report.tasks()) {
            ClassificationMetrics m = report.metrics(task.task());
            md.append("## ").append(escape(task.task())).append("\n\n");
            md.append("Accuracy ").append(num(m.accuracy())).append(", macro-F1 ").append(num(m.macroF1()))
                    .append(" (macro precision ").append(num(m.macroPrecision())).append(", macro recall ")
                    .append(num(m.macroRecall())).append("), weighted-F1 ").append(num(m.weightedF1()));
            m.topKAccuracy().forEach((k, accuracy) -> md.append(", top-").append(k).append(' ').append(num(accuracy)));
            md.append(". ").append(m.evaluated()).append(" examples scored");
            if (m.missingGold() > 0) {
                md.append(", ").append(m.missingGold()).append(" without a gold label left out");
            }
            md.append(".\n\n");
            md.append("| label | precision | recall | F1 | support | predicted |\n");
            md.append("|---|---:|---:|---:|---:|---:|\n");
            for (var c : m.perClass()) {
                md.append("| ").append(escape(c.label())).append(c.averaged() ? "" : " †").append(" | ")
                        .append(num(c.precision())).append(" | ").append(num(c.recall())).append(" | ")
                        .append(num(c.f1())).append(" | ").append(c.support()).append(" | ")
                        .append(c.predicted()).append(" |\n");
            }
            if (m.perClass().stream().anyMatch(c -> !c.averaged())) {
                md.append("\n† neither in gold nor predicted: not part of the macro averages.\n");
            }
            String png = ReportWriter.confusionPngName(task.task());
            md.append("\n![").append(escape(task.task())).append(" confusion matrix](").append(png).append(")\n\n");
        }
        return md.toString();
    }

    private static int[] sortedKs(EvaluationReport report) {
        return report.metrics().values().iterator().next().topKAccuracy().keySet().stream()
                .mapToInt(Integer::intValue).toArray();
    }

    static String num(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }

    /** Keeps a label from breaking the table or turning into markup. */
    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
                .replace("\n", " ");
    }
}
