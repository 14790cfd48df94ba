package io.supportlm.data.split;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.TextNormalizer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Deterministic, stratified, leak-free splits.
 *
 * <p>Records sharing a near-duplicate key ({@link TextNormalizer#dedupKey}) form one group and
 * always land in the same split, so no normalized duplicate crosses splits. Groups are ordered by
 * a SHA-256 of (seed, key), which makes the result depend on the seed and the content only, not on
 * input order. Within each stratum the fractions are met by rounding; strata with fewer than three
 * groups go entirely to train, with a warning.
 */
public final class Splitter {
    private static final String NO_STRATUM = "(none)";
    private final SplitConfig config;

    public Splitter(SplitConfig config) {
        this.config = config;
    }

    public SplitResult split(List<SupportRecord> records) {
        Map<String, List<SupportRecord>> groups = new LinkedHashMap<>();
        for (SupportRecord r : records) {
            groups.computeIfAbsent(TextNormalizer.dedupKey(r.mainText()), k -> new ArrayList<>()).add(r);
        }
        Map<String, List<String>> strata = new TreeMap<>();
        for (var g : groups.entrySet()) {
            strata.computeIfAbsent(stratum(g.getValue().getFirst()), k -> new ArrayList<>()).add(g.getKey());
        }
        List<SupportRecord> train = new ArrayList<>();
        List<SupportRecord> validation = new ArrayList<>();
        List<SupportRecord> test = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<String, byte[]> order = new HashMap<>();
        for (var s : strata.entrySet()) {
            List<String> keys = s.getValue();
            keys.forEach(k -> order.put(k, digest(config.seed() + "\u0000" + k)));
            keys.sort(Comparator.comparing(order::get, java.util.Arrays::compareUnsigned));
            int n = keys.size();
            int nVal = (int) Math.round(n * config.validation());
            int nTest = (int) Math.round(n * config.test());
            if (n < 3) {
                nVal = 0;
                nTest = 0;
                warnings.add("stratum '" + s.getKey() + "' has only " + n + " distinct example(s): all go to train");
            } else {
                if (nVal + nTest >= n) { // never leave train empty
                    nTest = Math.max(0, Math.min(nTest, n - 1 - nVal));
                    nVal = Math.min(nVal, n - 1 - nTest);
                }
                if ((config.validation() > 0 && nVal == 0) || (config.test() > 0 && nTest == 0)) {
                    warnings.add("stratum '" + s.getKey() + "' has only " + n + " distinct examples: "
                            + nVal + " in validation, " + nTest + " in test");
                }
            }
            for (int i = 0; i < n; i++) {
                List<SupportRecord> target = i < nTest ? test : i < nTest + nVal ? validation : train;
                target.addAll(groups.get(keys.get(i)));
            }
        }
        Comparator<SupportRecord> byId = Comparator.comparing(SupportRecord::id);
        train.sort(byId);
        validation.sort(byId);
        test.sort(byId);
        SplitResult result = new SplitResult(train, validation, test, warnings);
        checkNoLeakage(result.byName());
        return result;
    }

    /** The stratum of a record: its label for the configured task, or its first matching tag. */
    String stratum(SupportRecord r) {
        String by = config.stratifyBy();
        if (by == null) {
            return NO_STRATUM;
        }
        if (by.startsWith("tag:")) {
            String prefix = by.substring(4);
            return r.meta().tags().stream().filter(t -> t.startsWith(prefix)).findFirst().orElse(NO_STRATUM);
        }
        String label = r.label(by);
        return label == null ? NO_STRATUM : label;
    }

    /**
     * Throws when a near-duplicate key occurs in more than one split, naming the records.
     * Public so that splits made elsewhere can be checked too.
     */
    public static void checkNoLeakage(Map<String, List<SupportRecord>> splits) {
        Map<String, String> seen = new HashMap<>(); // key -> "split:id"
        for (var s : splits.entrySet()) {
            Map<String, String> here = new HashMap<>();
            for (SupportRecord r : s.getValue()) {
                String key = TextNormalizer.dedupKey(r.mainText());
                String other = seen.get(key);
                if (other != null) {
                    throw new IllegalStateException("leakage: record " + s.getKey() + ":" + r.id()
                            + " is a near-duplicate of " + other);
                }
                here.putIfAbsent(key, s.getKey() + ":" + r.id());
            }
            seen.putAll(here);
        }
    }

    private static byte[] digest(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
