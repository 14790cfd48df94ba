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
     * A radar chart with one spoke per task and one polygon per model, plotting macro-F1 (0 at the centre, 1 at
     * the rim).
     *
     * @param tasks the spokes, in order
     * @param macroF1BySeries per model name, macro-F1 per task (each map must hold every task)
     */
    public static byte[] radarPng(List<String> tasks, Map<String, Map<String, Double>> macroF1BySeries) {
        if (tasks.size() < MIN_RADAR_TASKS) {
            throw new IllegalArgumentException("a radar chart needs at least " + MIN_RADAR_TASKS
                    + " tasks (spokes), got " + tasks);
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
                    throw new IllegalArgumentException("model '" + series.getKey() + "': macro-F1 of task '"
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
        chart.setTitle("Macro-F1 per task (centre 0, rim 1)");
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
