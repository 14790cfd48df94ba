package io.supportlm.eval.reply;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

/**
 * PNG charts of a reply evaluation, drawn with XChart off screen in the classification report's
 * style (XChart theme, white background, legend outside): a metric per group for both models and a
 * latency histogram.
 */
public final class ReplyCharts {
    static final int LATENCY_BINS = 12;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private ReplyCharts() {
    }

    /** A bar chart in the reports' style: XChart theme, white background, legend below, no tooltips. */
    public static CategoryChart categoryChart(int width, int height, String title, String yAxisTitle) {
        var chart = new CategoryChart(width, height, Styler.ChartTheme.XChart);
        chart.setTitle(title);
        chart.setYAxisTitle(yAxisTitle);
        var style = chart.getStyler();
        style.setChartBackgroundColor(Color.WHITE);
        style.setLegendPosition(Styler.LegendPosition.OutsideS);
        style.setLegendLayout(Styler.LegendLayout.Horizontal);
        style.setToolTipsEnabled(false);
        return chart;
    }

    /**
     * Bars per group: mean ROUGE-L F1 when some group has reference answers, else the refusal rate
     * (a safety-only suite), for the tuned model and, when compared, the base model.
     */
    public static byte[] metricsByGroupPng(ReplyReport report) {
        boolean rouge = report.byGroup().values().stream().anyMatch(g -> g.tuned().withReference() > 0);
        String metric = rouge ? "ROUGE-L F1" : "refusal rate";
        var groups = new ArrayList<String>();
        var tuned = new ArrayList<Double>();
        var base = new ArrayList<Double>();
        for (ReplyReport.GroupSummary g : report.byGroup().values()) {
            double t = rouge ? g.tuned().rougeL() : g.tuned().refusalRate();
            if (Double.isNaN(t)) {
                continue; // e.g. a safety group in a ROUGE-L chart
            }
            groups.add(g.group());
            tuned.add(t);
            if (g.base() != null) {
                double b = rouge ? g.base().rougeL() : g.base().refusalRate();
                base.add(Double.isNaN(b) ? 0 : b);
            }
        }
        int longest = groups.stream().mapToInt(String::length).max().orElse(5);
        var chart = categoryChart(Math.max(640, 60 * groups.size() + 200), 480 + Math.min(longest, 32) * 5,
                metric + " by group (" + report.setup().suite() + ")", metric);
        var style = chart.getStyler();
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        style.setXAxisLabelRotation(groups.size() > 6 ? 45 : 0);
        style.setYAxisDecimalPattern("0.00");
        if (groups.isEmpty()) {
            groups.add("(no data)");
            tuned.add(0.0);
            if (report.base() != null) {
                base.add(0.0);
            }
        }
        chart.addSeries(report.tuned().model(), groups, tuned);
        if (report.base() != null) {
            chart.addSeries(report.base().model(), groups, base);
        }
        return png(chart);
    }

    /** Answer latency in {@value #LATENCY_BINS} equal bins from the fastest to the slowest answer of either model. */
    public static byte[] latencyHistogramPng(ReplyReport report) {
        var tuned = new ArrayList<Double>();
        var base = new ArrayList<Double>();
        for (ItemResult r : report.items()) {
            tuned.add(r.tuned().answer().latencyMs());
            if (r.base() != null) {
                base.add(r.base().answer().latencyMs());
            }
        }
        var all = new ArrayList<>(tuned);
        all.addAll(base);
        double min = all.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = all.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        if (max <= min) {
            max = min + 1;
        }
        List<String> labels = binLabels(min, max);
        var chart = categoryChart(860, 480, "Answer latency (" + report.items().size() + " questions)", "answers");
        chart.setXAxisTitle("latency, ms (bin start)");
        var style = chart.getStyler();
        style.setXAxisLabelRotation(45);
        style.setOverlapped(!base.isEmpty());
        chart.addSeries(report.tuned().model(), labels, counts(tuned, min, max));
        if (!base.isEmpty()) {
            chart.addSeries(report.base().model(), labels, counts(base, min, max));
        }
        return png(chart);
    }

    /** How many values fall in each of the equal bins over [min, max] (the maximum goes in the last bin). */
    static List<Integer> counts(List<Double> values, double min, double max) {
        int[] c = new int[LATENCY_BINS];
        double width = (max - min) / LATENCY_BINS;
        for (double v : values) {
            int bin = (int) Math.floor((v - min) / width);
            c[Math.max(0, Math.min(LATENCY_BINS - 1, bin))]++;
        }
        var out = new ArrayList<Integer>();
        for (int x : c) {
            out.add(x);
        }
        return out;
    }

    private static List<String> binLabels(double min, double max) {
        var labels = new ArrayList<String>();
        double width = (max - min) / LATENCY_BINS;
        // Enough decimals that neighbouring bins never print alike (XChart needs distinct categories).
        int decimals = (int) Math.max(0, Math.min(6, Math.ceil(-Math.log10(width)) + 1));
        for (int i = 0; i < LATENCY_BINS; i++) {
            labels.add(String.format(Locale.ROOT, "%." + decimals + "f", min + i * width));
        }
        return labels;
    }

    private static byte[] png(Chart<?, ?> chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode chart '" + chart.getTitle() + "' as PNG", e);
        }
    }
}
