package io.supportlm.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One evaluated example: its identity, a snippet of its text, how long the classifier took, and its prediction
 * for every task of the report.
 *
 * @param id the example's id in the dataset
 * @param text the input text (reports shorten it)
 * @param latencyMs wall-clock milliseconds the classifier spent on this example
 * @param byTask prediction per task name
 */
public record ExampleResult(String id, String text, double latencyMs, Map<String, TaskPrediction> byTask) {
    public ExampleResult {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("example id must not be blank");
        }
        if (text == null) {
            throw new IllegalArgumentException("example '" + id + "': text must not be null");
        }
        if (!(latencyMs >= 0) || Double.isInfinite(latencyMs)) {
            throw new IllegalArgumentException("example '" + id + "': latency must be a finite number of "
                    + "milliseconds >= 0, got " + latencyMs);
        }
        byTask = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byTask));
    }

    /** The prediction for {@code task}; an example must cover every task of its report. */
    public TaskPrediction prediction(String task) {
        TaskPrediction p = byTask.get(task);
        if (p == null) {
            throw new IllegalArgumentException("example '" + id + "' has no prediction for task '" + task
                    + "' (it has " + byTask.keySet() + ")");
        }
        return p;
    }
}
