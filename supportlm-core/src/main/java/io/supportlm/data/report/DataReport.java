package io.supportlm.data.report;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.TextNormalizer;
import io.supportlm.data.pii.PiiKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Statistics over named splits: label counts per task and split, text-length percentiles,
 * duplicates (within and across splits) and redaction placeholders found in the text.
 *
 * @param labelCounts   task → label → split → count
 * @param lengths       split → sorted text lengths in {@code unit}
 * @param exactDuplicates split → records whose main text repeats an earlier one in the split
 * @param nearDuplicates  split → records whose near-duplicate key repeats (includes exact ones)
 * @param crossSplitDuplicates near-duplicate keys found in more than one split
 * @param redactions    split → placeholder kind → count
 */
public record DataReport(List<String> splits, int[] sizes, Map<String, Map<String, Map<String, Integer>>> labelCounts,
                         String unit, Map<String, int[]> lengths, Map<String, Integer> exactDuplicates,
                         Map<String, Integer> nearDuplicates, int crossSplitDuplicates,
                         Map<String, Map<PiiKind, Integer>> redactions) {

    public static final double[] PERCENTILES = {50, 90, 95, 99, 100};

    /** @param tasks label tasks to count; null or empty means every task found */
    public static DataReport of(Map<String, List<SupportRecord>> splits, List<String> tasks, TokenCounter counter) {
        List<String> names = new ArrayList<>(splits.keySet());
        int[] sizes = names.stream().mapToInt(n -> splits.get(n).size()).toArray();
        Set<String> taskSet = new TreeSet<>();
        if (tasks == null || tasks.isEmpty()) {
            splits.values().forEach(l -> l.forEach(r -> taskSet.addAll(r.outputs().labels().keySet())));
        } else {
            taskSet.addAll(tasks);
        }
        Map<String, Map<String, Map<String, Integer>>> labels = new LinkedHashMap<>();
        for (String task : taskSet) {
            Map<String, Map<String, Integer>> perLabel = new TreeMap<>();
            for (String split : names) {
                for (SupportRecord r : splits.get(split)) {
                    String label = r.label(task);
                    perLabel.computeIfAbsent(label == null ? "(none)" : label, k -> new LinkedHashMap<>()).merge(split, 1, Integer::sum);
                }
            }
            labels.put(task, perLabel);
        }
        Map<String, int[]> lengths = new LinkedHashMap<>();
        Map<String, Integer> exact = new LinkedHashMap<>();
        Map<String, Integer> near = new LinkedHashMap<>();
        Map<String, Map<PiiKind, Integer>> redactions = new LinkedHashMap<>();
        Map<String, String> keyToSplit = new HashMap<>();
        Set<String> crossKeys = new HashSet<>();
        for (String split : names) {
            List<SupportRecord> records = splits.get(split);
            int[] len = records.stream().mapToInt(r -> counter.count(r.mainText())).sorted().toArray();
            lengths.put(split, len);
            Set<String> texts = new HashSet<>();
            Set<String> keys = new HashSet<>();
            int e = 0;
            int n = 0;
            Map<PiiKind, Integer> red = new LinkedHashMap<>();
            for (SupportRecord r : records) {
                String text = r.mainText();
                String key = TextNormalizer.dedupKey(text);
                e += texts.add(text) ? 0 : 1;
                n += keys.add(key) ? 0 : 1;
                String other = keyToSplit.putIfAbsent(key, split);
                if (other != null && !other.equals(split)) {
                    crossKeys.add(key);
                }
                String all = text + (r.outputs().answer() == null ? "" : "\n" + r.outputs().answer());
                for (PiiKind k : PiiKind.values()) {
                    int c = occurrences(all, k.placeholder());
                    if (c > 0) {
                        red.merge(k, c, Integer::sum);
                    }
                }
            }
            exact.put(split, e);
            near.put(split, n);
            redactions.put(split, red);
        }
        return new DataReport(names, sizes, labels, counter.unit(), lengths, exact, near, crossKeys.size(), redactions);
    }

    /** Nearest-rank percentile of sorted values; 0 for none. */
    public static int percentile(int[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static int occurrences(String s, String needle) {
        int n = 0;
        for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }

    /** The report as Markdown; {@code charts} are image file names to embed (may be empty). */
    public String toMarkdown(List<String> charts) {
        StringBuilder md = new StringBuilder("# Data report\n\n");
        md.append("| split | records |\n|---|---:|\n");
        for (int i = 0; i < splits.size(); i++) {
            md.append("| ").append(splits.get(i)).append(" | ").append(sizes[i]).append(" |\n");
        }
        md.append("| **total** | ").append(Arrays.stream(sizes).sum()).append(" |\n\n");
        for (var task : labelCounts.entrySet()) {
            md.append("## Labels: ").append(task.getKey()).append("\n\n| label |");
            splits.forEach(s -> md.append(' ').append(s).append(" |"));
            md.append(" total | share |\n|---|");
            splits.forEach(s -> md.append("---:|"));
            md.append("---:|---:|\n");
            int all = Arrays.stream(sizes).sum();
            for (var label : task.getValue().entrySet()) {
                md.append("| ").append(label.getKey()).append(" |");
                int total = 0;
                for (String s : splits) {
                    int c = label.getValue().getOrDefault(s, 0);
                    total += c;
                    md.append(' ').append(c).append(" |");
                }
                md.append(' ').append(total).append(" | ").append(String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * total / Math.max(1, all)))
                        .append(" |\n");
            }
            md.append('\n');
        }
        md.append("## Text length (").append(unit).append(")\n\n| split |");
        for (double p : PERCENTILES) {
            md.append(p == 100 ? " max |" : " p" + (int) p + " |");
        }
        md.append(" mean |\n|---|");
        for (double ignored : PERCENTILES) {
            md.append("---:|");
        }
        md.append("---:|\n");
        for (String s : splits) {
            int[] len = lengths.get(s);
            md.append("| ").append(s).append(" |");
            for (double p : PERCENTILES) {
                md.append(' ').append(percentile(len, p)).append(" |");
            }
            md.append(String.format(java.util.Locale.ROOT, " %.1f |%n", Arrays.stream(len).average().orElse(0)));
        }
        md.append("\n## Duplicates\n\n| split | exact | near (case/punctuation/spacing ignored) |\n|---|---:|---:|\n");
        for (String s : splits) {
            md.append("| ").append(s).append(" | ").append(exactDuplicates.get(s)).append(" | ").append(nearDuplicates.get(s)).append(" |\n");
        }
        md.append("\nNear-duplicate texts found in more than one split: **").append(crossSplitDuplicates).append("**\n");
        md.append("\n## Redactions (placeholders in text and answers)\n\n| split |");
        for (PiiKind k : PiiKind.values()) {
            md.append(' ').append(k.placeholder()).append(" |");
        }
        md.append("\n|---|");
        for (PiiKind ignored : PiiKind.values()) {
            md.append("---:|");
        }
        md.append('\n');
        for (String s : splits) {
            md.append("| ").append(s).append(" |");
            for (PiiKind k : PiiKind.values()) {
                md.append(' ').append(redactions.get(s).getOrDefault(k, 0)).append(" |");
            }
            md.append('\n');
        }
        if (!charts.isEmpty()) {
            md.append("\n## Charts\n\n");
            charts.forEach(c -> md.append("![").append(c).append("](").append(c).append(")\n\n"));
        }
        return md.toString();
    }
}
