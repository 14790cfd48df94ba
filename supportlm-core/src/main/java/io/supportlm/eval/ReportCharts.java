package io.supportlm.eval;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.RadarChart;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/** PNG charts of a report, drawn with XChart off screen (the JVM is switched to headless AWT if not set). */
public final class ReportCharts {
    /** Above this many classes the confusion matrix drops its axis labels and cell values. */
    static final int MAX_LABELLED_CLASSES = 40;
    /** Above this many classes cells no longer have room for a value. */
    static final int MAX_VALUED_CLASSES = 20;
    /** With fewer spokes a radar chart degenerates into a line. */
    public static final int MIN_RADAR_TASKS = 3;

    /**
     * The radar's spokes and each model's scores on them: macro-F1 per task with at least
     * {@value #MIN_RADAR_TASKS} tasks; with one or two tasks (a two-head classifier such as intent
     * and category) three spokes per task, macro-F1, weighted F1 and accuracy, so the chart still
     * has an area to compare.
     */
    public static Radar spokes(List<String> tasks, List<EvaluationReport> models) {
        boolean perTask = tasks.size() >= MIN_RADAR_TASKS;
        var spokes = new java.util.ArrayList<String>();
        for (String t : tasks) {
            if (perTask) {
                spokes.add(t);
            } else {
                spokes.add(t + " macro-F1");
                spokes.add(t + " weighted F1");
                spokes.add(t + " accuracy");
            }
        }
        var series = new LinkedHashMap<String, Map<String, Double>>();
        for (EvaluationReport r : models) {
            var scores = new LinkedHashMap<String, Double>();
            for (String t : tasks) {
                ClassificationMetrics m = r.metrics(t);
                if (perTask) {
                    scores.put(t, m.macroF1());
                } else {
                    scores.put(t + " macro-F1", m.macroF1());
                    scores.put(t + " weighted F1", m.weightedF1());
                    scores.put(t + " accuracy", m.accuracy());
                }
            }
            series.put(r.model(), scores);
        }
        String title = perTask ? "Macro-F1 per task (centre 0, rim 1)" : "Macro-F1, weighted F1 and accuracy per task (centre 0, rim 1)";
        return new Radar(title, spokes, series);
    }

    /** What {@link #radarPng} draws. */
    public record Radar(String title, List<String> spokes, Map<String, Map<String, Double>> scoresBySeries) {
        public byte[] png() {
            return radarPng(title, spokes, scoresBySeries);
        }
    }

    static {
        // Charts render into images; on a server without a display AWT must not look for one.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ReportCharts() {
    }

    /**
     * A heat map of the confusion matrix: gold classes down the rows (first class on top), predicted across.
     * The colour of a cell is its share of the gold row (recall on the diagonal), so rare classes read as well as
     * frequent ones; matrices up to {@value #MAX_VALUED_CLASSES} classes print that share as a percentage in each
     * non-empty cell (XChart labels a cell with the value it colours by, so it cannot show counts as well; the
     * counts are in {@code metrics.json}). Above {@value #MAX_LABELLED_CLASSES} classes the axes carry no labels.
     */
    public static byte[] confusionMatrixPng(ClassificationMetrics m) {
        int n = m.labels().size();
        boolean labelled = n <= MAX_LABELLED_CLASSES;
        int cell = n <= 10 ? 56 : n <= MAX_VALUED_CLASSES ? 36 : n <= MAX_LABELLED_CLASSES ? 24 : 14;
        int longest = m.labels().stream().mapToInt(String::length).max().orElse(1);
        int labelRoom = labelled ? Math.min(longest, 32) * 7 + 20 : 20;
        int width = Math.max(560, n * cell + labelRoom + 200);
        int height = Math.max(480, n * cell + labelRoom + 120);

        // The theme constructor: HeatMapChart(width, height) leaves fonts, strokes and locale unset in XChart 3.8.8.
        var chart = new HeatMapChart(width, height, Styler.ChartTheme.XChart);
        chart.setTitle(m.task() + ": confusion matrix (share of gold row), " + m.evaluated() + " examples");
        chart.setXAxisTitle("predicted");
        chart.setYAxisTitle("gold");
        var style = chart.getStyler();
        style.setLegendVisible(true);
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setPlotContentSize(1.0);
        style.setMin(0);
        style.setMax(1);
        style.setRangeColors(new Color[] {new Color(0xFF, 0xFF, 0xFF), new Color(0xFD, 0xD4, 0x9E),
            new Color(0xFC, 0x8D, 0x59), new Color(0xD7, 0x30, 0x1F)});
        style.setChartBackgroundColor(Color.WHITE);
        style.setPlotBackgroundColor(Color.WHITE);
        style.setDrawBorder(n <= MAX_LABELLED_CLASSES);
        style.setXAxisLabelRotation(labelled ? 90 : 0);
        style.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, n <= MAX_VALUED_CLASSES ? 12 : 10));
        style.setXAxisTicksVisible(labelled);
        style.setYAxisTicksVisible(labelled);
        if (n <= MAX_VALUED_CLASSES) {
            style.setShowValue(true);
            style.setValueFont(new Font(Font.SANS_SERIF, Font.PLAIN, n <= 10 ? 13 : 10));
            style.setValueFontColor(Color.BLACK);
            // XChart formats the cell's value, so cells can show the share (DecimalFormat's % multiplies by 100).
            style.setHeatMapValueDecimalPattern("0%");
        }

        List<String> predictedAxis = new ArrayList<>(m.labels());
        List<String> goldAxis = new ArrayList<>(m.labels()).reversed(); // y grows upwards; class 0 goes on top
        List<Number[]> cells = new ArrayList<>(n * n);
        int[][] counts = m.confusion();
        for (int gold = 0; gold < n; gold++) {
            int rowTotal = 0;
            for (int count : counts[gold]) {
                rowTotal += count;
            }
            for (int predicted = 0; predicted < n; predicted++) {
                double share = rowTotal == 0 ? 0 : (double) counts[gold][predicted] / rowTotal;
                if (share > 0) { // an absent cell stays white and unlabelled, which reads better than a sea of 0%
                    cells.add(new Number[] {predicted, n - 1 - gold, share});
                }
            }
        }
        chart.addSeries("share of gold row", predictedAxis, goldAxis, cells);
        return png(chart);
    }

    /**
     * A radar chart with one polygon per model over named spokes, each a score in [0, 1] (0 at the
     * centre, 1 at the rim): macro-F1 per task, or with fewer than {@value #MIN_RADAR_TASKS} tasks
     * macro-F1, weighted F1 and accuracy of each task (see {@link #spokes}).
     *
     * @param title the chart's title
     * @param spokes the spokes, in order
     * @param scoresBySeries per model name, the score of every spoke
     */
    public static byte[] radarPng(String title, List<String> tasks, Map<String, Map<String, Double>> macroF1BySeries) {
        if (tasks.size() < MIN_RADAR_TASKS) {
            throw new IllegalArgumentException("a radar chart needs at least " + MIN_RADAR_TASKS
                    + " spokes, got " + tasks);
        }
        if (macroF1BySeries.isEmpty()) {
            throw new IllegalArgumentException("a radar chart needs at least one model");
        }
        var values = new LinkedHashMap<String, double[]>();
        for (var series : macroF1BySeries.entrySet()) {
            double[] row = new double[tasks.size()];
            for (int i = 0; i < tasks.size(); i++) {
                Double f1 = series.getValue().get(tasks.get(i));
                if (f1 == null || !(f1 >= 0 && f1 <= 1)) {
                    throw new IllegalArgumentException("model '" + series.getKey() + "': score of '"
                            + tasks.get(i) + "' must be in [0, 1], got " + f1);
                }
                row[i] = f1;
            }
            values.put(series.getKey(), row);
        }
        // Each spoke names its task and the models' values in legend order, since the rings carry no numbers.
        String[] spokes = new String[tasks.size()];
        for (int i = 0; i < tasks.size(); i++) {
            var numbers = new StringJoiner(" / ", " (", ")");
            for (double[] row : values.values()) {
                numbers.add(String.format(Locale.ROOT, "%.2f", row[i]));
            }
            spokes[i] = tasks.get(i) + numbers;
        }

        var chart = new RadarChart(900, 720, Styler.ChartTheme.XChart);
        chart.setTitle(title);
        chart.setRadiiLabels(spokes);
        var style = chart.getStyler();
        style.setLegendPosition(Styler.LegendPosition.OutsideS);
        style.setLegendLayout(Styler.LegendLayout.Horizontal);
        style.setChartBackgroundColor(Color.WHITE);
        style.setRadiiTickMarksCount(5);
        style.setPlotContentSize(0.72); // room beside the rim for the spoke labels, which XChart would clip
        style.setSeriesFilled(true);
        style.setMarkerSize(8);
        style.setToolTipsEnabled(false);
        for (var series : values.entrySet()) {
            chart.addSeries(series.getKey(), series.getValue());
        }
        return png(chart);
    }

    private static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chart '" + chart.getTitle() + "' as PNG", e);
        }
    }
}
