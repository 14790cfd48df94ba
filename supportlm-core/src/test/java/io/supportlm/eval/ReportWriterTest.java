package io.supportlm.eval;

import static io.supportlm.eval.ClassificationMetrics.MISSING_GOLD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    private static final double EPS = 1e-12;
    private static final TaskLabels INTENT = new TaskLabels("intent", List.of("a", "b", "c", "d", "e"));
    private static final TaskLabels URGENCY = new TaskLabels("urgency", List.of("low", "medium", "high"));
    private static final TaskLabels SENTIMENT = new TaskLabels("sentiment", List.of("neg", "neu", "pos"));

    // The worked example of ClassificationMetricsTest for intent: macro-F1 4/15, weighted-F1 0.4, accuracy 3/7.
    private static final int[] INTENT_GOLD = {0, 0, 0, 1, 1, 2, 2, MISSING_GOLD};
    private static final int[] INTENT_PRED = {0, 0, 1, 1, 3, 0, 1, 2};
    private static final int[] URGENCY_GOLD = {0, 1, 2, 0, MISSING_GOLD, 1, 2, 0};
    private static final int[] URGENCY_PRED = {0, 1, 2, 0, 1, 1, 1, 0};

    @TempDir
    Path dir;

    /** Examples whose ranking starts with the prediction and goes on with the other classes in order. */
    private static List<ExampleResult> examples(boolean untrained) {
        var out = new ArrayList<ExampleResult>();
        for (int i = 0; i < INTENT_GOLD.length; i++) {
            int intentPred = untrained ? 4 : INTENT_PRED[i];
            int urgencyPred = untrained ? 2 : URGENCY_PRED[i];
            int sentimentPred = untrained ? 0 : i % 3;
            out.add(new ExampleResult("ex-" + i, "Ticket " + i + ", with \"quotes\"\nand a second line", 10 + i,
                    Map.of("intent", prediction(INTENT_GOLD[i], intentPred, 5),
                            "urgency", prediction(URGENCY_GOLD[i], urgencyPred, 3),
                            "sentiment", prediction(i % 3, sentimentPred, 3))));
        }
        return out;
    }

    private static TaskPrediction prediction(int gold, int predicted, int classes) {
        float[] scores = new float[classes];
        scores[predicted] = 1f;
        for (int c = 0; c < classes; c++) {
            scores[c] += 0.1f * (classes - c); // a strict order behind the prediction
        }
        return new TaskPrediction(gold, predicted, 0.5, TopK.rank(scores, 3));
    }

    private static EvaluationReport fineTuned() {
        return EvaluationReport.of("run-42", "fine-tuned", List.of(INTENT, URGENCY, SENTIMENT), examples(false),
                1, 3);
    }

    private static EvaluationReport base() {
        return EvaluationReport.of("run-42", "base, untrained heads", List.of(INTENT, URGENCY, SENTIMENT),
                examples(true), 1, 3);
    }

    @Test
    void writesEveryFileAndNoTemporaryOnes() throws IOException {
        var written = ReportWriter.write(fineTuned(), List.of(base()), dir);
        for (String name : List.of("metrics.json", "predictions.csv", "summary.md", "confusion_intent.png",
                "confusion_urgency.png", "confusion_sentiment.png", "radar_macro_f1.png")) {
            assertTrue(Files.isRegularFile(dir.resolve(name)), name);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(7, files.count(), "only the report's files, no leftover temporary files");
        }
        assertEquals(dir.resolve("radar_macro_f1.png"), written.radarPng());
        assertEquals(dir.resolve("confusion_urgency.png"), written.confusionPngs().get("urgency"));
    }

    @Test
    void metricsJsonParsesBackWithTheRightNumbers() throws IOException {
        ReportWriter.write(fineTuned(), List.of(base()), dir);
        JsonNode root = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        assertEquals("run-42", root.get("run_id").asText());
        assertEquals(8, root.get("examples").asInt());
        JsonNode intent = root.get("tasks").get("intent");
        assertEquals(7, intent.get("evaluated").asInt());
        assertEquals(1, intent.get("missing_gold").asInt());
        assertEquals(3.0 / 7, intent.get("accuracy").asDouble(), EPS);
        assertEquals(4.0 / 15, intent.get("macro_f1").asDouble(), EPS);
        assertEquals(0.4, intent.get("weighted_f1").asDouble(), EPS);
        assertEquals(2, intent.get("confusion_matrix").get(0).get(0).asInt());
        assertEquals(1, intent.get("confusion_matrix").get(0).get(1).asInt());
        assertEquals("c", intent.get("per_class").get(2).get("label").asText());
        assertEquals(0.0, intent.get("per_class").get(2).get("precision").asDouble());
        assertFalse(intent.get("per_class").get(4).get("averaged").asBoolean());
        assertEquals("confusion_intent.png", intent.get("confusion_matrix_png").asText());
        assertTrue(intent.get("top_k_accuracy").has("3"));

        var report = fineTuned();
        assertEquals(report.meanMacroF1(), root.get("mean_macro_f1").asDouble(), EPS);
        double mean = (4.0 / 15 + report.metrics("urgency").macroF1() + report.metrics("sentiment").macroF1()) / 3;
        assertEquals(mean, root.get("mean_macro_f1").asDouble(), EPS);
        assertEquals(13.0, root.get("latency_ms").get("p50").asDouble(), "nearest rank of latencies 10..17");
        assertEquals(17.0, root.get("latency_ms").get("p95").asDouble());
        JsonNode comparison = root.get("comparisons").get(0);
        assertEquals("base, untrained heads", comparison.get("model").asText());
        assertEquals(base().metrics("intent").macroF1(), comparison.get("macro_f1").get("intent").asDouble(), EPS);
    }

    @Test
    void predictionsCsvHasAHeaderAndOneRowPerExample() throws IOException {
        ReportWriter.write(fineTuned(), dir);
        var csv = new CsvMapper().enable(CsvParser.Feature.WRAP_AS_ARRAY);
        List<List<String>> rows = new ArrayList<>();
        try (MappingIterator<List<String>> it = csv.readerForListOf(String.class)
                .readValues(dir.resolve("predictions.csv").toFile())) {
            it.forEachRemaining(rows::add);
        }
        assertEquals(List.of("id", "text", "latency_ms", "intent_gold", "intent_predicted", "intent_confidence",
                "intent_top_k", "urgency_gold", "urgency_predicted", "urgency_confidence", "urgency_top_k",
                "sentiment_gold", "sentiment_predicted", "sentiment_confidence", "sentiment_top_k"), rows.get(0));
        assertEquals(1 + 8, rows.size());
        List<String> last = rows.get(8);
        assertEquals("ex-7", last.get(0));
        assertEquals("Ticket 7, with \"quotes\" and a second line", last.get(1));
        assertEquals("", last.get(3), "no gold label: empty cell");
        assertEquals("c", last.get(4));
        assertEquals("c|a|b", last.get(6));
    }

    @Test
    void chartsAreValidImagesOfRealSize() throws IOException {
        ReportWriter.write(fineTuned(), List.of(base()), dir);
        for (String name : List.of("confusion_intent.png", "radar_macro_f1.png")) {
            Path png = dir.resolve(name);
            BufferedImage image = ImageIO.read(png.toFile());
            assertNotNull(image, name + " decodes as an image");
            assertTrue(image.getWidth() >= 400 && image.getHeight() >= 400, name + " is " + image.getWidth()
                    + "x" + image.getHeight());
            assertTrue(Files.size(png) > 5_000, name + " has content, " + Files.size(png) + " bytes");
        }
        assertEquals("true", System.getProperty("java.awt.headless"));
    }

    @Test
    void confusionMatrixOfManyClassesRenders() throws IOException {
        var labels = new ArrayList<String>();
        for (int i = 0; i < 77; i++) {
            labels.add("intent_" + i);
        }
        int[] gold = new int[200];
        int[] predicted = new int[200];
        for (int i = 0; i < gold.length; i++) {
            gold[i] = i % 77;
            predicted[i] = i % 5 == 0 ? (i * 7) % 77 : gold[i];
        }
        var m = ClassificationMetrics.compute(new TaskLabels("banking", labels), gold, predicted);
        BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(ReportCharts.confusionMatrixPng(m)));
        assertTrue(image.getWidth() > 1000, "77 classes get room: " + image.getWidth());
    }

    @Test
    void summaryHoldsTheOverviewAndPerClassTables() throws IOException {
        ReportWriter.write(fineTuned(), List.of(base()), dir);
        String md = Files.readString(dir.resolve("summary.md"));
        String intentRow = "| intent | 7 | 0.4286 | 0.2667 | 0.4000 |";
        assertTrue(md.contains(intentRow), md);
        assertTrue(md.contains("| task | scored | accuracy | macro-F1 | weighted-F1 | top-1 | top-3 |"
                + " macro-F1, base, untrained heads |"), md);
        assertTrue(md.contains("| b | 0.3333 | 0.5000 | 0.4000 | 2 | 3 |"), md);
        assertTrue(md.contains("| e † | 0.0000 | 0.0000 | 0.0000 | 0 | 0 |"), md);
        assertTrue(md.contains("![intent confusion matrix](confusion_intent.png)"), md);
        assertTrue(md.contains("(radar_macro_f1.png)"), md);
    }

    @Test
    void consoleTableLinesUpTheSameNumbers() {
        String table = ReportWriter.write(fineTuned(), List.of(base()), dir).consoleTable();
        String intentLine = table.lines().filter(l -> l.startsWith("intent")).findFirst().orElseThrow();
        assertTrue(intentLine.matches("intent\\s+7\\s+0\\.4286\\s+0\\.2667\\s+0\\.4000\\s+.*"), intentLine);
        var widths = table.lines().skip(1).filter(l -> !l.startsWith("mean")).map(String::length).distinct().toList();
        assertEquals(1, widths.size(), "fixed-width rows:\n" + table);
        assertTrue(table.contains("mean macro-F1"), table);
    }

    @Test
    void withFewerThanThreeTasksTheRadarHasThreeScoresPerTask() throws IOException {
        var report = EvaluationReport.of("r", "fine-tuned", List.of(INTENT, URGENCY), examples(false), 1);
        var written = ReportWriter.write(report, dir);
        assertTrue(Files.size(written.radarPng()) > 0);
        assertTrue(Files.readString(dir.resolve("summary.md")).contains("radar_macro_f1.png"));
        var radar = ReportCharts.spokes(List.of("intent", "urgency"), List.of(report));
        assertEquals(List.of("intent macro-F1", "intent weighted F1", "intent accuracy", "urgency macro-F1",
                "urgency weighted F1", "urgency accuracy"), radar.spokes());
        var scores = radar.scoresBySeries().get("fine-tuned");
        assertEquals(report.metrics("intent").accuracy(), scores.get("intent accuracy"));
        assertEquals(report.metrics("urgency").weightedF1(), scores.get("urgency weighted F1"));
    }

    @Test
    void rewritingReplacesTheFiles() throws IOException {
        ReportWriter.write(base(), dir);
        ReportWriter.write(fineTuned(), dir);
        JsonNode root = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        assertEquals("fine-tuned", root.get("model").asText());
    }

    @Test
    void inconsistentReportsAreRejected() {
        var twoTasks = EvaluationReport.of("r", "base", List.of(INTENT, URGENCY), examples(true), 1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReportWriter.write(fineTuned(), List.of(twoTasks), dir));
        assertTrue(e.getMessage().contains("no task 'sentiment'"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ReportWriter.write(fineTuned(), List.of(fineTuned()), dir), "same model name twice");

        var duplicated = new ArrayList<>(examples(false));
        duplicated.add(duplicated.get(0));
        var dup = assertThrows(IllegalArgumentException.class,
                () -> EvaluationReport.of("r", "m", List.of(INTENT), duplicated, 1));
        assertTrue(dup.getMessage().contains("'ex-0' appears twice"), dup.getMessage());

        var missing = assertThrows(IllegalArgumentException.class, () -> EvaluationReport.of("r", "m",
                List.of(new TaskLabels("topic", List.of("x"))), examples(false), 1));
        assertTrue(missing.getMessage().contains("no prediction for task 'topic'"), missing.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> EvaluationReport.of("../escape", "m", List.of(INTENT), examples(false), 1));
        assertThrows(IllegalArgumentException.class, () -> new TaskPrediction(0, 0, 1.5, new int[] {0}));
        var ranking = assertThrows(IllegalArgumentException.class,
                () -> new TaskPrediction(0, 1, 0.5, new int[] {2, 1}));
        assertTrue(ranking.getMessage().contains("start with 2 but the predicted class is 1"), ranking.getMessage());
    }
}
