package io.supportlm.data.label;

import io.supportlm.data.SupportRecord;
import java.util.List;

/**
 * Labelled records (input order, failures left out), the failures, and what it cost.
 *
 * @param httpRequests requests actually sent (0 when everything came from the cache)
 * @param cacheHits    texts answered from the cache
 */
public record LabelingResult(List<SupportRecord> labelled, List<Failure> failures, int httpRequests, int cacheHits) {
    /** A record the teacher could not label: why, after how many attempts, and its last answer. */
    public record Failure(String id, String reason, int attempts, String lastAnswer) {}

    public LabelingResult {
        labelled = List.copyOf(labelled);
        failures = List.copyOf(failures);
    }
}
