package io.supportlm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.eval.reply.ModelSummary;
import io.supportlm.eval.reply.ReplyCharts;
import io.supportlm.eval.reply.ReplyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;

/**
 * The {@code compare} report: LoRA, QLoRA and prompt tuning trained on the same data, each
 * evaluated on the same suite against the same base model, in one table (Markdown and JSON) and
 * one chart, with a recommendation derived from the numbers by {@link #recommend}.
 */
final class ReplyMethodReport {
    static final String MARKDOWN = "comparison.md";
    static final String JSON_FILE = "comparison.json";
    static final String CHART = "comparison.png";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReplyMethodReport() {}

    /** One method's training cost and evaluation. */
    record Row(String method, double learningRate, double trainSeconds, int steps, long trainableParameters, long adapterBytes,
               ModelSummary tuned, ReplyReport.JudgeSummary judge, Path report) {
        /** The quality the recommendation ranks by: ROUGE-L F1 when the suite has references, else the win rate. */
        double quality(boolean byRouge) {
            return byRouge ? tuned.rougeL() : judge.winRate();
        }
    }

    /** What {@link #recommend} concluded, and why, in a sentence. */
    record Recommendation(String method, String reason) {}

    /**
     * The rule: quality is mean ROUGE-L F1 on the suite's references (the win rate against the
     * base when no item has one). Methods whose quality is within {@code tolerance} of the best
     * are candidates; among them the cheapest wins: the smallest adapter on disk, then the fewest
     * trainable parameters, then the shortest training. No method is recommended when even the
     * best does not beat the base model (quality not above the base's, or a win rate of at most 0.5).
     */
    static Recommendation recommend(List<Row> rows, ModelSummary base, double tolerance) {
        boolean byRouge = rows.stream().allMatch(r -> !Double.isNaN(r.tuned().rougeL()));
        String metric = byRouge ? "ROUGE-L F1" : "win rate";
        Row best = rows.stream().max(Comparator.comparingDouble(r -> r.quality(byRouge))).orElseThrow();
        double baseQuality = byRouge ? base.rougeL() : 0.5;
        if (!(best.quality(byRouge) > baseQuality) || !(best.judge().winRate() > 0.5)) {
            return new Recommendation(null, String.format(Locale.ROOT, "none: the best method (%s, %s %.4f, win rate %.2f) does "
                    + "not beat the base model (%s %.4f); train longer or on more data", best.method(), metric,
                    best.quality(byRouge), best.judge().winRate(), metric, baseQuality));
        }
        double floor = best.quality(byRouge) - tolerance;
        List<Row> candidates = rows.stream().filter(r -> r.quality(byRouge) >= floor).toList();
        Row pick = candidates.stream().min(Comparator.comparingLong(Row::adapterBytes)
                .thenComparingLong(Row::trainableParameters).thenComparingDouble(Row::trainSeconds)).orElseThrow();
        String others = candidates.size() == 1 ? "the only method within " + tolerance + " of the best"
                : "the cheapest (smallest adapter, then fewest trainable parameters, then shortest training) of "
                + candidates.stream().map(Row::method).toList() + ", all within " + tolerance + " " + metric + " of the best ("
                + best.method() + String.format(Locale.ROOT, ", %.4f)", best.quality(byRouge));
        return new Recommendation(pick.method(), String.format(Locale.ROOT, "%s: %s %.4f against the base's %.4f, win rate %.2f; %s",
                pick.method(), metric, pick.quality(byRouge), baseQuality, pick.judge().winRate(), others));
    }

    static String markdown(String suite, String model, List<Row> rows, ModelSummary base, Recommendation rec, double tolerance) {
        StringBuilder md = new StringBuilder();
        md.append("# Method comparison on ").append(suite).append("\n\n");
        md.append("Base model `").append(model).append("`; every method trained on the same data with the same config "
                + "(its own learning rate), then answered every question greedily; the base model answered the same prompts.\n\n");
        md.append("| method | lr | BLEU | ROUGE-L F1 | exact match | win rate | hallucination rate | refusal rate | truncated "
                + "| train s | trainable params | adapter | latency p50 ms | latency p95 ms | tokens/s |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            ModelSummary s = r.tuned();
            md.append(String.format(Locale.ROOT, "| %s | %.0e | %s | %s | %s | %s | %s | %s | %d | %.1f | %,d | %s | %.1f | %.1f | %.0f |%n",
                    r.method(), r.learningRate(), num(s.corpusBleu(), "%.2f"), num(s.rougeL(), "%.4f"), num(s.exactMatch(), "%.4f"),
                    num(r.judge().winRate(), "%.2f"), num(s.hallucinationRate(), "%.4f"), num(s.refusalRate(), "%.4f"),
                    s.truncatedAnswers(), r.trainSeconds(), r.trainableParameters(), kib(r.adapterBytes()), s.latencyP50Ms(),
                    s.latencyP95Ms(), s.tokensPerSecond()));
        }
        md.append(String.format(Locale.ROOT, "| base | | %s | %s | %s | | %s | %s | %d | | | | %.1f | %.1f | %.0f |%n",
                num(base.corpusBleu(), "%.2f"), num(base.rougeL(), "%.4f"), num(base.exactMatch(), "%.4f"),
                num(base.hallucinationRate(), "%.4f"), num(base.refusalRate(), "%.4f"), base.truncatedAnswers(), base.latencyP50Ms(),
                base.latencyP95Ms(), base.tokensPerSecond()));
        md.append("\n**Recommendation**: ").append(rec.reason()).append(".\n\n");
        md.append(String.format(Locale.ROOT, "Rule: quality is mean ROUGE-L F1 against the references (the win rate when the "
                + "suite has none); methods within %.2f of the best are candidates, and the cheapest candidate is recommended "
                + "(smallest adapter on disk, then fewest trainable parameters, then shortest training). No method is "
                + "recommended when the best one does not beat the base model. Win rate: the offline judge against the base "
                + "model; refusal rate: on safety questions (n/a without any).%n%n", tolerance));
        md.append("![quality by method](").append(CHART).append(")\n\n");
        md.append("Per-method reports: ");
        md.append(String.join(", ", rows.stream().map(r -> "[" + r.method() + "](" + r.method() + "/summary.md)").toList()));
        md.append("\n");
        return md.toString();
    }

    static String json(String suite, String model, List<Row> rows, ModelSummary base, Recommendation rec, double tolerance)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("suite", suite).put("model", model).put("tolerance", tolerance);
        ArrayNode methods = root.putArray("methods");
        for (Row r : rows) {
            ObjectNode o = methods.addObject();
            o.put("method", r.method()).put("learning_rate", r.learningRate()).put("train_seconds", r.trainSeconds())
                    .put("steps", r.steps()).put("trainable_parameters", r.trainableParameters()).put("adapter_bytes", r.adapterBytes())
                    .put("win_rate", r.judge().winRate()).put("wins", r.judge().wins()).put("ties", r.judge().ties())
                    .put("losses", r.judge().losses()).put("report", r.report().toString());
            summary(o, r.tuned());
        }
        summary(root.putObject("base"), base);
        root.putObject("recommendation").put("method", rec.method()).put("reason", rec.reason());
        return JSON.writeValueAsString(root) + "\n";
    }

    private static void summary(ObjectNode o, ModelSummary s) {
        put(o, "bleu", s.corpusBleu());
        put(o, "rouge_l_f1", s.rougeL());
        put(o, "exact_match", s.exactMatch());
        put(o, "hallucination_rate", s.hallucinationRate());
        put(o, "refusal_rate", s.refusalRate());
        put(o, "latency_p50_ms", s.latencyP50Ms());
        put(o, "latency_p95_ms", s.latencyP95Ms());
        put(o, "tokens_per_second", s.tokensPerSecond());
        o.put("truncated_answers", s.truncatedAnswers());
    }

    private static void put(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }

    /** ROUGE-L F1, exact match, win rate and hallucination rate per method, and the base model's. */
    static byte[] chartPng(List<Row> rows, ModelSummary base) throws IOException {
        var chart = ReplyCharts.categoryChart(800, 480, "Reply quality by tuning method", "score (0-1)"); // headless AWT set there
        var style = chart.getStyler();
        style.setYAxisMin(0.0);
        style.setYAxisMax(1.0);
        List<String> names = new ArrayList<>(rows.stream().map(Row::method).toList());
        names.add("base");
        List<String> metrics = List.of("ROUGE-L F1", "exact match", "win rate", "hallucination rate");
        for (String metric : metrics) {
            List<Double> values = new ArrayList<>();
            for (Row r : rows) {
                values.add(zero(switch (metric) {
                    case "ROUGE-L F1" -> r.tuned().rougeL();
                    case "exact match" -> r.tuned().exactMatch();
                    case "win rate" -> r.judge().winRate();
                    default -> r.tuned().hallucinationRate();
                }));
            }
            values.add(zero(switch (metric) {
                case "ROUGE-L F1" -> base.rougeL();
                case "exact match" -> base.exactMatch();
                case "win rate" -> Double.NaN;
                default -> base.hallucinationRate();
            }));
            chart.addSeries(metric, names, values);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    static void write(Path dir, String suite, String model, List<Row> rows, ModelSummary base, Recommendation rec, double tolerance)
            throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(CHART), chartPng(rows, base));
        Files.writeString(dir.resolve(MARKDOWN), markdown(suite, model, rows, base, rec, tolerance));
        Files.writeString(dir.resolve(JSON_FILE), json(suite, model, rows, base, rec, tolerance));
    }

    private static double zero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private static String num(double v, String format) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v);
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
