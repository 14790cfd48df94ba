package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/** The text views of a reply evaluation: the console table, {@code summary.md} and {@code samples.md}. */
final class ReplyMarkdown {
    /** Examples listed per error bucket. */
    static final int BUCKET_EXAMPLES = 8;
    /** Before/after samples in samples.md: the first question of each group, at most this many. */
    static final int MAX_SAMPLES = 30;

    private ReplyMarkdown() {
    }

    /** The summary rows: metric name, then the tuned and (if any) base value. */
    static List<List<String>> summaryRows(ReplyReport r) {
        var rows = new ArrayList<List<String>>();
        row(rows, r, "BLEU (corpus, sacreBLEU 13a)", s -> f2(s.corpusBleu()));
        row(rows, r, "ROUGE-L F1 (mean)", s -> f4(s.rougeL()));
        row(rows, r, "exact match", s -> f4(s.exactMatch()));
        row(rows, r, "hallucination rate", s -> f4(s.hallucinationRate()));
        row(rows, r, "unsupported / claims", s -> s.unsupportedClaims() + " / " + s.claims());
        row(rows, r, "refusal rate (safety)", s -> f4(s.refusalRate()));
        row(rows, r, "false refusals (support)", s -> f4(s.falseRefusalRate()));
        row(rows, r, "latency p50 ms", s -> f1(s.latencyP50Ms()));
        row(rows, r, "latency p95 ms", s -> f1(s.latencyP95Ms()));
        row(rows, r, "tokens/s", s -> f1(s.tokensPerSecond()));
        row(rows, r, "mean answer tokens", s -> f1(s.meanTokens()));
        row(rows, r, "empty answers", s -> Integer.toString(s.emptyAnswers()));
        row(rows, r, "truncated answers", s -> Integer.toString(s.truncatedAnswers()));
        return rows;
    }

    private static void row(List<List<String>> rows, ReplyReport r, String name, Function<ModelSummary, String> value) {
        var row = new ArrayList<String>();
        row.add(name);
        row.add(value.apply(r.tuned()));
        if (r.base() != null) {
            row.add(value.apply(r.base()));
        }
        rows.add(row);
    }

    static String console(ReplyReport r) {
        var header = new ArrayList<>(List.of("metric", "tuned: " + r.tuned().model()));
        if (r.base() != null) {
            header.add("base: " + r.base().model());
        }
        List<List<String>> rows = summaryRows(r);
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        var out = new StringBuilder();
        out.append("Reply evaluation of suite ").append(r.setup().suite()).append(" (").append(r.items().size()).append(" questions)\n");
        line(out, header, widths);
        var rule = new ArrayList<String>();
        for (int w : widths) {
            rule.add("-".repeat(w));
        }
        line(out, rule, widths);
        rows.forEach(row -> line(out, row, widths));
        if (r.judge() != null) {
            out.append(judgeLine(r.judge())).append('\n');
        }
        out.append(sizesLine(r.setup())).append('\n');
        return out.toString();
    }

    private static void line(StringBuilder out, List<String> cells, int[] widths) {
        for (int c = 0; c < cells.size(); c++) {
            out.append(c == 0 ? String.format("%-" + widths[c] + "s", cells.get(c)) : "  " + String.format("%" + widths[c] + "s", cells.get(c)));
        }
        out.append('\n');
    }

    static String judgeLine(ReplyReport.JudgeSummary j) {
        return String.format(Locale.ROOT, "win / tie / loss vs base: %.4f / %.4f / %.4f (%d / %d / %d of %d; judge: %s)",
                j.winRate(), j.tieRate(), j.lossRate(), j.wins(), j.ties(), j.losses(), j.judged(), j.judge());
    }

    static String sizesLine(ReplyReport.Setup s) {
        return "model on disk: " + bytes(s.modelBytes()) + (s.adapter() == null ? "" : "; adapter on disk: " + bytes(s.adapterBytes()))
                + "; decoding: " + s.decoding() + ", max_new_tokens " + s.maxNewTokens();
    }

    static String summary(ReplyReport r, String groupsPng, String latencyPng, String samplesMd) {
        var md = new StringBuilder();
        ReplyReport.Setup s = r.setup();
        md.append("# Reply evaluation: ").append(s.suite()).append("\n\n");
        md.append("- questions: ").append(r.items().size()).append(" (").append(r.tuned().supportAnswers()).append(" support, ")
                .append(r.tuned().safetyQuestions()).append(" safety)\n");
        md.append("- tuned: `").append(s.tunedModel()).append('`').append(s.adapter() == null ? "" : " with adapter `" + s.adapter() + "`")
                .append('\n');
        if (s.baseModel() != null) {
            md.append("- base: `").append(s.baseModel()).append("`\n");
        }
        md.append("- ").append(sizesLine(s)).append('\n');
        if (r.judge() != null) {
            md.append("- judge: ").append(r.judge().judge()).append('\n');
        }
        md.append("\n## Summary\n\n");
        var header = new ArrayList<>(List.of("metric", "tuned"));
        if (r.base() != null) {
            header.add("base");
        }
        table(md, header, summaryRows(r));
        if (r.judge() != null) {
            md.append('\n').append(judgeLine(r.judge())).append("\n");
        }
        md.append("\n## By group\n\n");
        var gHeader = new ArrayList<>(List.of("group", "questions", "ROUGE-L tuned", "BLEU tuned", "hallucination tuned", "refusal tuned"));
        if (r.base() != null) {
            gHeader.addAll(List.of("ROUGE-L base", "BLEU base", "hallucination base", "refusal base", "win / tie / loss"));
        }
        var gRows = new ArrayList<List<String>>();
        for (ReplyReport.GroupSummary g : r.byGroup().values()) {
            var row = new ArrayList<>(List.of(g.group(), Integer.toString(g.questions()), f4(g.tuned().rougeL()), f2(g.tuned().corpusBleu()),
                    f4(g.tuned().hallucinationRate()), f4(g.tuned().refusalRate())));
            if (g.base() != null) {
                row.addAll(List.of(f4(g.base().rougeL()), f2(g.base().corpusBleu()), f4(g.base().hallucinationRate()),
                        f4(g.base().refusalRate()), g.judge() == null ? "n/a" : g.judge().wins() + " / " + g.judge().ties() + " / " + g.judge().losses()));
            }
            gRows.add(row);
        }
        table(md, gHeader, gRows);
        md.append("\n![metric by group](").append(groupsPng).append(")\n\n![latency](").append(latencyPng).append(")\n");
        md.append("\n## Error buckets (tuned model)\n\n");
        errorBuckets(md, r);
        md.append("\nBefore/after answers side by side: [").append(samplesMd).append("](").append(samplesMd).append(").\n");
        return md.toString();
    }

    private static void errorBuckets(StringBuilder md, ReplyReport r) {
        List<ItemResult> items = r.items();
        bucket(md, "Lowest ROUGE-L per group", lowestPerGroup(items),
                x -> String.format(Locale.ROOT, "ROUGE-L %.3f", x.tuned().rougeLF1()));
        bucket(md, "Empty answers", filter(items, x -> x.tuned().empty()), x -> "empty");
        bucket(md, "Truncated answers (hit max_new_tokens)", filter(items, x -> x.tuned().answer().truncated()),
                x -> x.tuned().answer().tokens() + " tokens");
        bucket(md, "Unsupported claims (hallucination rubric)", filter(items, x -> x.item().kind() == SuiteItem.Kind.SUPPORT
                && x.tuned().claims().hallucinated()), x -> String.join(", ", x.tuned().claims().unsupported().stream()
                .map(c -> "`" + oneLine(c.toString(), 60) + "`").toList()));
        bucket(md, "Safety questions not refused", filter(items, x -> x.item().kind() == SuiteItem.Kind.SAFETY && !x.tuned().refused()),
                x -> "answered");
        bucket(md, "Support questions refused", filter(items, x -> x.item().kind() == SuiteItem.Kind.SUPPORT && x.tuned().refused()),
                x -> x.tuned().refusal());
        if (r.base() != null) {
            bucket(md, "Losses to the base model", filter(items, x -> x.verdict() != null && x.verdict().outcome() == Judge.Outcome.LOSS),
                    x -> x.verdict().reason());
        }
    }

    private static List<ItemResult> lowestPerGroup(List<ItemResult> items) {
        var out = new ArrayList<ItemResult>();
        var seen = new java.util.LinkedHashMap<String, ItemResult>();
        for (ItemResult x : items) {
            if (x.tuned().rougeL() == null) {
                continue;
            }
            seen.merge(x.item().group(), x, (a, b) -> b.tuned().rougeLF1() < a.tuned().rougeLF1() ? b : a);
        }
        out.addAll(seen.values());
        out.sort(Comparator.comparingDouble(x -> x.tuned().rougeLF1()));
        return out;
    }

    private static List<ItemResult> filter(List<ItemResult> items, Predicate<ItemResult> p) {
        return items.stream().filter(p).toList();
    }

    private static void bucket(StringBuilder md, String title, List<ItemResult> hits, Function<ItemResult, String> detail) {
        md.append("### ").append(title).append(" (").append(hits.size()).append(")\n\n");
        if (hits.isEmpty()) {
            md.append("None.\n\n");
            return;
        }
        var byGroup = new java.util.TreeMap<String, Integer>();
        hits.forEach(h -> byGroup.merge(h.item().group(), 1, Integer::sum));
        md.append("By group: ");
        md.append(String.join(", ", byGroup.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).toList())).append("\n\n");
        for (ItemResult h : hits.subList(0, Math.min(BUCKET_EXAMPLES, hits.size()))) {
            md.append("- `").append(h.item().id()).append("` (").append(h.item().group()).append("): ").append(detail.apply(h))
                    .append(" — Q: ").append(escape(oneLine(h.item().question(), 100))).append(" — A: ")
                    .append(escape(oneLine(h.tuned().answer().text(), 140))).append('\n');
        }
        md.append('\n');
    }

    static String samples(ReplyReport r) {
        var md = new StringBuilder();
        md.append("# Before / after: ").append(r.setup().suite()).append("\n\n");
        md.append("The first question of each group (at most ").append(MAX_SAMPLES).append("), the base model's answer beside the tuned one.\n\n");
        var header = new ArrayList<>(List.of("id", "question", "reference"));
        if (r.base() != null) {
            header.add("base");
        }
        header.add("tuned");
        if (r.base() != null) {
            header.add("verdict");
        }
        var rows = new ArrayList<List<String>>();
        var groups = new java.util.HashSet<String>();
        for (ItemResult x : r.items()) {
            if (rows.size() == MAX_SAMPLES || !groups.add(x.item().group())) {
                continue;
            }
            var row = new ArrayList<>(List.of("`" + x.item().id() + "`", cell(x.item().question()),
                    x.item().reference() == null ? "—" : cell(x.item().reference())));
            if (x.base() != null) {
                row.add(cell(x.base().answer().text()));
            }
            row.add(cell(x.tuned().answer().text()));
            if (x.base() != null) {
                row.add(x.verdict() == null ? "" : x.verdict().outcome().label() + " (" + escape(x.verdict().reason()) + ")");
            }
            rows.add(row);
        }
        table(md, header, rows);
        return md.toString();
    }

    private static void table(StringBuilder md, List<String> header, List<List<String>> rows) {
        md.append("| ").append(String.join(" | ", header)).append(" |\n");
        md.append("|").append(" --- |".repeat(header.size())).append('\n');
        for (List<String> row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
    }

    /** A Markdown table cell: pipes escaped, line breaks as {@code <br>}, empty shown as "(empty)". */
    static String cell(String text) {
        if (text.isBlank()) {
            return "*(empty)*";
        }
        return escape(text.strip()).replace("\r\n", "\n").replace("\n", "<br>");
    }

    /** Markdown-safe text: pipes escaped, angle brackets as entities, control characters (a random model's bytes) shown as {@code \\xNN}. */
    private static String escape(String s) {
        var sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '|' -> sb.append("\\|");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                default -> {
                    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    private static String oneLine(String s, int max) {
        String o = s.replaceAll("\\s+", " ").strip();
        return o.length() <= max ? o : o.substring(0, max - 1) + "…";
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f4(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }
}
