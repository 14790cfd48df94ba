package io.supportlm.data.pii;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** The redacted text and how many items of each kind were replaced. */
public record Redaction(String text, Map<PiiKind, Integer> counts) {
    public Redaction {
        counts = Collections.unmodifiableMap(counts.isEmpty() ? new EnumMap<>(PiiKind.class) : new EnumMap<>(counts));
    }

    public int total() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    public int count(PiiKind kind) {
        return counts.getOrDefault(kind, 0);
    }
}
