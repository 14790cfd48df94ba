package io.supportlm.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The overview of a report as fixed-width text for a terminal; the caller decides where to print it. */
public final class ConsoleTable {
    private ConsoleTable() {
    }

    /** One row per task: rows scored, accuracy, macro-F1, weighted-F1, top-k, and each comparison's macro-F1. */
    public static String render(EvaluationReport report, List<EvaluationReport> comparisons) {
        var header = new ArrayList<>(List.of("task", "scored", "accuracy", "macro-F1", "weighted-F1"));
        List<Integer> ks = List.copyOf(report.metrics().values().iterator().next().topKAccuracy().keySet());
        ks.forEach(k -> header.add("top-" + k));
        comparisons.forEach(other -> header.add("macro-F1 (" + other.model() + ")"));

        var rows = new ArrayList<List<String>>();
        for (TaskLabels task : report.tasks()) {
            ClassificationMetrics m = report.metrics(task.task());
            var row = new ArrayList<>(List.of(task.task(), Integer.toString(m.evaluated()), num(m.accuracy()),
                    num(m.macroF1()), num(m.weightedF1())));
            m.topKAccuracy().values().forEach(accuracy -> row.add(num(accuracy)));
            comparisons.forEach(other -> row.add(num(other.metrics(task.task()).macroF1())));
            rows.add(row);
        }
        var mean = new ArrayList<String>();
        mean.add("mean macro-F1");
        while (mean.size() < header.size()) {
            mean.add("");
        }
        mean.set(3, num(report.meanMacroF1()));
        for (int i = 0; i < comparisons.size(); i++) {
            mean.set(header.size() - comparisons.size() + i, num(comparisons.get(i).meanMacroF1()));
        }
        rows.add(mean);

        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        var out = new StringBuilder();
        out.append("Evaluation ").append(report.runId()).append(" (").append(report.model()).append(", ")
                .append(report.examples().size()).append(" examples)\n");
        line(out, header, widths);
        var rule = new ArrayList<String>();
        for (int width : widths) {
            rule.add("-".repeat(width));
        }
        line(out, rule, widths);
        for (int r = 0; r < rows.size(); r++) {
            if (r == rows.size() - 1) {
                line(out, rule, widths);
            }
            line(out, rows.get(r), widths);
        }
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        for (int c = 0; c < cells.size(); c++) {
            String cell = cells.get(c);
            // The task name reads left-aligned, numbers right-aligned so their digits line up.
            String padded = c == 0 ? String.format("%-" + widths[c] + "s", cell)
                    : String.format("%" + widths[c] + "s", cell);
            out.append(c == 0 ? "" : "  ").append(padded);
        }
        int end = out.length();
        while (end > 0 && out.charAt(end - 1) == ' ') {
            end--; // empty trailing cells leave no trailing blanks
        }
        out.setLength(end);
        out.append('\n');
    }

    private static String num(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
