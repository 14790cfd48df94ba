package io.supportlm.eval.reply;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.ingest.IngestConfig;
import io.supportlm.data.ingest.IngestResult;
import io.supportlm.data.ingest.Ingester;
import io.supportlm.data.split.SplitConfig;
import io.supportlm.data.split.SplitResult;
import io.supportlm.data.split.Splitter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws a suite from the held-out test split of a support dataset, deterministically and
 * stratified by a label.
 *
 * <p>The held-out convention every part of the project shares: ingest with the dataset's ingest
 * config (for Bitext {@code docs/examples/bitext-ingest.yaml}), split with
 * {@code new Splitter(SplitConfig.defaults(42, "intent"))}; training sees only {@code train()} and
 * {@code validation()}, the suite comes only from {@code test()}.
 *
 * <p>The draw: each stratum (label value) gets a quota proportional to its share of the test split,
 * rounded by largest remainder (ties to the stratum whose name sorts first); within a stratum
 * records are ordered by SHA-256 of (seed, record id) and the first ones taken. Same data, same
 * seed, same suite, whatever the input order. Items keep the source record's id.
 */
public final class SuiteDraw {
    /** The seed and stratification of the shared split. */
    public static final long SPLIT_SEED = 42;
    public static final String SPLIT_STRATIFY = "intent";

    private SuiteDraw() {
    }

    /** What was drawn, and from how many test records. */
    public record Drawn(List<SuiteItem> items, int testRecords, Map<String, Integer> perStratum) {
    }

    /**
     * Ingests {@code files} with {@code ingest}, splits them as the shared convention does, and draws
     * {@code size} items from the test split.
     */
    public static Drawn fromDataset(List<Path> files, IngestConfig ingest, int size, String stratifyBy, long seed)
            throws IOException {
        IngestResult ingested = new Ingester(ingest).ingest(files);
        SplitResult split = new Splitter(SplitConfig.defaults(SPLIT_SEED, SPLIT_STRATIFY)).split(ingested.records());
        return draw(split.test(), size, stratifyBy, seed);
    }

    /** Draws {@code size} items from {@code test} (records with a reference answer only). */
    public static Drawn draw(List<SupportRecord> test, int size, String stratifyBy, long seed) {
        if (size < 1) {
            throw new IllegalArgumentException("suite size must be >= 1, got " + size);
        }
        Map<String, List<SupportRecord>> strata = new TreeMap<>();
        int usable = 0;
        for (SupportRecord r : test) {
            if (r.outputs().answer() == null || r.outputs().answer().isBlank()) {
                continue; // a suite item without a reference cannot be scored against one
            }
            String label = r.label(stratifyBy);
            strata.computeIfAbsent(label == null ? "(none)" : label, k -> new ArrayList<>()).add(r);
            usable++;
        }
        if (usable < size) {
            throw new IllegalArgumentException("the test split has " + usable + " records with a reference answer; "
                    + "cannot draw " + size);
        }
        Map<String, Integer> quota = quotas(strata, usable, size);
        var items = new ArrayList<SuiteItem>();
        for (var e : strata.entrySet()) {
            List<SupportRecord> ordered = new ArrayList<>(e.getValue());
            ordered.sort(Comparator.comparing((SupportRecord r) -> digest(seed + "\u0000" + r.id()), Arrays::compareUnsigned)
                    .thenComparing(SupportRecord::id));
            for (SupportRecord r : ordered.subList(0, quota.get(e.getKey()))) {
                items.add(new SuiteItem(r.id(), r.mainText(), r.inputs().context(), r.outputs().answer(),
                        r.label("category"), r.label("intent"), SuiteItem.Kind.SUPPORT, r.meta().source()));
            }
        }
        items.sort(Comparator.comparing((SuiteItem i) -> String.valueOf(i.category()))
                .thenComparing(i -> String.valueOf(i.intent())).thenComparing(SuiteItem::id));
        return new Drawn(items, usable, quota);
    }

    /** Largest-remainder apportionment of {@code size} over the strata by their sizes. */
    static Map<String, Integer> quotas(Map<String, List<SupportRecord>> strata, int total, int size) {
        Map<String, Integer> quota = new TreeMap<>();
        var remainders = new ArrayList<Map.Entry<String, Double>>();
        int assigned = 0;
        for (var e : strata.entrySet()) {
            double exact = (double) size * e.getValue().size() / total;
            int whole = (int) Math.floor(exact);
            quota.put(e.getKey(), whole);
            assigned += whole;
            remainders.add(Map.entry(e.getKey(), exact - whole));
        }
        remainders.sort(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        for (int i = 0; assigned < size; i++) {
            String key = remainders.get(i).getKey();
            quota.merge(key, 1, Integer::sum);
            assigned++;
        }
        return quota;
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
