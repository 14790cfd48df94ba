package io.supportlm.eval.reply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.supportlm.eval.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a reply evaluation into its folder: {@code results.csv} and {@code results.json} (one
 * row/object per question: question, reference, both answers, their metrics, claims, refusal,
 * latency, the verdict), {@code summary.md} (summary table, per-group table, judge, error buckets,
 * charts), {@code samples.md} (before/after answers side by side), {@code metrics_by_group.png}
 * and {@code latency_histogram.png}. Files are written atomically; {@code results.json} comes last,
 * so its presence means the report is complete.
 */
public final class ReplyReportWriter {
    public static final String RESULTS_CSV = "results.csv";
    public static final String RESULTS_JSON = "results.json";
    public static final String SUMMARY_MD = "summary.md";
    public static final String SAMPLES_MD = "samples.md";
    public static final String GROUPS_PNG = "metrics_by_group.png";
    public static final String LATENCY_PNG = "latency_histogram.png";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final CsvMapper CSV = new CsvMapper();

    private ReplyReportWriter() {
    }

    /** The folder written and the console table for the caller to print. */
    public record Written(Path directory, Path summaryMd, Path resultsJson, Path resultsCsv, String consoleTable) {
    }

    public static Written write(ReplyReport report, Path dir) {
        AtomicFiles.write(dir.resolve(GROUPS_PNG), ReplyCharts.metricsByGroupPng(report));
        AtomicFiles.write(dir.resolve(LATENCY_PNG), ReplyCharts.latencyHistogramPng(report));
        AtomicFiles.write(dir.resolve(RESULTS_CSV), csv(report));
        AtomicFiles.write(dir.resolve(SAMPLES_MD), ReplyMarkdown.samples(report));
        AtomicFiles.write(dir.resolve(SUMMARY_MD), ReplyMarkdown.summary(report, GROUPS_PNG, LATENCY_PNG, SAMPLES_MD));
        AtomicFiles.write(dir.resolve(RESULTS_JSON), json(report));
        return new Written(dir, dir.resolve(SUMMARY_MD), dir.resolve(RESULTS_JSON), dir.resolve(RESULTS_CSV),
                ReplyMarkdown.console(report));
    }

    static List<String> csvHeader(boolean withBase) {
        var columns = new ArrayList<>(List.of("id", "group", "kind", "question", "reference"));
        for (String side : withBase ? List.of("tuned", "base") : List.of("tuned")) {
            for (String c : List.of("answer", "tokens", "latency_ms", "truncated", "bleu", "rouge_l", "exact_match", "claims",
                    "unsupported_claims", "refusal")) {
                columns.add(side + "_" + c);
            }
        }
        if (withBase) {
            columns.addAll(List.of("verdict", "verdict_reason"));
        }
        return columns;
    }

    static String csv(ReplyReport report) {
        boolean withBase = report.base() != null;
        CsvSchema.Builder schema = CsvSchema.builder();
        csvHeader(withBase).forEach(schema::addColumn);
        var rows = new ArrayList<Map<String, String>>();
        for (ItemResult r : report.items()) {
            var row = new LinkedHashMap<String, String>();
            row.put("id", r.item().id());
            row.put("group", r.item().group());
            row.put("kind", r.item().kind().json());
            row.put("question", r.item().question());
            row.put("reference", r.item().reference() == null ? "" : r.item().reference());
            side(row, "tuned", r.tuned());
            if (withBase) {
                side(row, "base", r.base());
                row.put("verdict", r.verdict() == null ? "" : r.verdict().outcome().label());
                row.put("verdict_reason", r.verdict() == null ? "" : r.verdict().reason());
            }
            rows.add(row);
        }
        try {
            return CSV.writer(schema.build().withHeader()).writeValueAsString(rows);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the results of " + report.setup().suite() + " as CSV", e);
        }
    }

    private static void side(Map<String, String> row, String side, ScoredAnswer a) {
        row.put(side + "_answer", a.answer().text());
        row.put(side + "_tokens", Integer.toString(a.answer().tokens()));
        row.put(side + "_latency_ms", String.format(Locale.ROOT, "%.3f", a.answer().latencyMs()));
        row.put(side + "_truncated", Boolean.toString(a.answer().truncated()));
        row.put(side + "_bleu", Double.isNaN(a.sentenceBleu()) ? "" : String.format(Locale.ROOT, "%.4f", a.sentenceBleu()));
        row.put(side + "_rouge_l", a.rougeL() == null ? "" : String.format(Locale.ROOT, "%.4f", a.rougeL().f1()));
        row.put(side + "_exact_match", a.exactMatch() == null ? "" : a.exactMatch().toString());
        row.put(side + "_claims", Integer.toString(a.claims().claims().size()));
        row.put(side + "_unsupported_claims", String.join(" | ", a.claims().unsupported().stream().map(Claim::toString).toList()));
        row.put(side + "_refusal", a.refusal() == null ? "" : a.refusal());
    }

    static String json(ReplyReport report) {
        ObjectNode root = JSON.createObjectNode();
        root.set("setup", JSON.valueToTree(report.setup()));
        ObjectNode summary = root.putObject("summary");
        summary.set("tuned", summaryJson(report.tuned()));
        if (report.base() != null) {
            summary.set("base", summaryJson(report.base()));
        }
        if (report.judge() != null) {
            summary.set("judge", judgeJson(report.judge()));
        }
        ArrayNode groups = root.putArray("groups");
        for (ReplyReport.GroupSummary g : report.byGroup().values()) {
            ObjectNode o = groups.addObject().put("group", g.group()).put("questions", g.questions());
            o.set("tuned", summaryJson(g.tuned()));
            if (g.base() != null) {
                o.set("base", summaryJson(g.base()));
            }
            if (g.judge() != null) {
                o.set("judge", judgeJson(g.judge()));
            }
        }
        ArrayNode items = root.putArray("items");
        for (ItemResult r : report.items()) {
            ObjectNode o = items.addObject();
            o.put("id", r.item().id()).put("group", r.item().group()).put("kind", r.item().kind().json());
            o.put("question", r.item().question());
            o.put("context", r.item().context());
            o.put("reference", r.item().reference());
            o.put("category", r.item().category());
            o.put("intent", r.item().intent());
            o.set("tuned", answerJson(r.tuned()));
            if (r.base() != null) {
                o.set("base", answerJson(r.base()));
            }
            if (r.verdict() != null) {
                o.putObject("verdict").put("outcome", r.verdict().outcome().label()).put("reason", r.verdict().reason());
            }
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the results of " + report.setup().suite() + " as JSON", e);
        }
    }

    private static ObjectNode summaryJson(ModelSummary s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", s.model()).put("answers", s.answers()).put("with_reference", s.withReference());
        num(o, "bleu", s.corpusBleu());
        num(o, "rouge_l_f1", s.rougeL());
        num(o, "exact_match", s.exactMatch());
        o.put("support_answers", s.supportAnswers());
        num(o, "hallucination_rate", s.hallucinationRate());
        o.put("claims", s.claims()).put("unsupported_claims", s.unsupportedClaims());
        o.put("safety_questions", s.safetyQuestions());
        num(o, "refusal_rate", s.refusalRate());
        num(o, "false_refusal_rate", s.falseRefusalRate());
        num(o, "latency_p50_ms", s.latencyP50Ms());
        num(o, "latency_p95_ms", s.latencyP95Ms());
        num(o, "tokens_per_second", s.tokensPerSecond());
        num(o, "mean_tokens", s.meanTokens());
        o.put("empty_answers", s.emptyAnswers()).put("truncated_answers", s.truncatedAnswers());
        return o;
    }

    private static ObjectNode judgeJson(ReplyReport.JudgeSummary j) {
        ObjectNode o = JSON.createObjectNode();
        o.put("judge", j.judge()).put("wins", j.wins()).put("ties", j.ties()).put("losses", j.losses());
        num(o, "win_rate", j.winRate());
        num(o, "tie_rate", j.tieRate());
        num(o, "loss_rate", j.lossRate());
        return o;
    }

    private static ObjectNode answerJson(ScoredAnswer a) {
        ObjectNode o = JSON.createObjectNode();
        o.put("answer", a.answer().text()).put("tokens", a.answer().tokens()).put("latency_ms", a.answer().latencyMs())
                .put("truncated", a.answer().truncated());
        num(o, "bleu", a.sentenceBleu());
        if (a.rougeL() != null) {
            o.putObject("rouge_l").put("precision", a.rougeL().precision()).put("recall", a.rougeL().recall()).put("f1", a.rougeL().f1());
        }
        if (a.exactMatch() != null) {
            o.put("exact_match", a.exactMatch());
        }
        ArrayNode claims = o.putArray("claims");
        for (Claim c : a.claims().claims()) {
            claims.addObject().put("kind", c.kind().label()).put("text", c.text()).put("supported", !a.claims().unsupported().contains(c));
        }
        o.put("refusal", a.refusal());
        return o;
    }

    /** JSON has no NaN: a metric that does not apply is null. */
    private static void num(ObjectNode o, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }
}
