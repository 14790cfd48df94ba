package io.supportlm.data;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds duplicates among records seen so far: exact (same normalized main text) or near (same
 * {@link TextNormalizer#dedupKey}: case, punctuation and spacing ignored). The first record wins.
 */
public final class Deduplicator {
    /** How aggressively duplicates are dropped. */
    public enum Mode { NONE, EXACT, NORMALIZED }

    /** A dropped record and the earlier one it repeats. */
    public record Duplicate(String duplicateOf, boolean exact) {}

    private final Mode mode;
    private final Map<String, String> exact = new HashMap<>();
    private final Map<String, String> near = new HashMap<>();

    public Deduplicator(Mode mode) {
        this.mode = mode;
    }

    /** Remembers {@code record} and returns null, or returns what it duplicates (and remembers nothing). */
    public Duplicate check(SupportRecord record) {
        if (mode == Mode.NONE) {
            return null;
        }
        String text = record.mainText();
        String first = exact.get(text);
        if (first != null) {
            return new Duplicate(first, true);
        }
        String key = TextNormalizer.dedupKey(text);
        if (mode == Mode.NORMALIZED) {
            first = near.get(key);
            if (first != null) {
                return new Duplicate(first, false);
            }
        }
        exact.put(text, record.id());
        near.putIfAbsent(key, record.id());
        return null;
    }
}
