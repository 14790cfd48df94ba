package io.supportlm.data.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Writes a {@link DataReport} as {@code report.md} plus PNG charts drawn with XChart. */
public final class ReportWriter {
    private ReportWriter() {}

    /** Writes report.md, labels-TASK.png per task and lengths.png into {@code dir}; returns the files written. */
    public static List<Path> write(DataReport report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true"); // charts render off-screen, also on servers without a display
        Files.createDirectories(dir);
        List<String> charts = new ArrayList<>();
        List<Path> written = new ArrayList<>();
        for (var task : report.labelCounts().entrySet()) {
            String name = "labels-" + task.getKey().replaceAll("[^A-Za-z0-9_.-]", "_") + ".png";
            CategoryChart chart = new CategoryChartBuilder().width(1000).height(520)
                    .title("Labels: " + task.getKey()).xAxisTitle("label").yAxisTitle("records").build();
            style(chart);
            chart.getStyler().setXAxisLabelRotation(task.getValue().size() > 6 ? 45 : 0);
            List<String> labels = new ArrayList<>(task.getValue().keySet());
            for (String split : report.splits()) {
                List<Integer> counts = labels.stream().map(l -> task.getValue().get(l).getOrDefault(split, 0)).toList();
                chart.addSeries(split, labels, counts);
            }
            save(chart, dir.resolve(name));
            charts.add(name);
            written.add(dir.resolve(name));
        }
        CategoryChart lengths = new CategoryChartBuilder().width(1000).height(520)
                .title("Text length (" + report.unit() + ")").xAxisTitle(report.unit()).yAxisTitle("records").build();
        style(lengths);
        Map<String, int[]> all = report.lengths();
        int max = all.values().stream().mapToInt(a -> a.length == 0 ? 0 : a[a.length - 1]).max().orElse(0);
        int bins = 20;
        int width = Math.max(1, (int) Math.ceil((max + 1) / (double) bins));
        List<String> binLabels = new ArrayList<>();
        for (int b = 0; b < bins; b++) {
            binLabels.add(b * width + "-" + ((b + 1) * width - 1));
        }
        for (String split : report.splits()) {
            int[] counts = new int[bins];
            for (int v : all.get(split)) {
                counts[Math.min(bins - 1, v / width)]++;
            }
            lengths.addSeries(split, binLabels, java.util.Arrays.stream(counts).boxed().toList());
        }
        lengths.getStyler().setXAxisLabelRotation(45);
        save(lengths, dir.resolve("lengths.png"));
        charts.add("lengths.png");
        written.add(dir.resolve("lengths.png"));
        Path md = dir.resolve("report.md");
        Files.writeString(md, report.toMarkdown(charts));
        written.addFirst(md);
        return written;
    }

    private static void style(CategoryChart chart) {
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    }

    private static void save(CategoryChart chart, Path file) throws IOException {
        String base = file.toString();
        BitmapEncoder.saveBitmap(chart, base.substring(0, base.length() - ".png".length()), BitmapEncoder.BitmapFormat.PNG);
    }
}
