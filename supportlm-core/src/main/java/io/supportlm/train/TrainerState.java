package io.supportlm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a training run stands: everything a resumed run needs besides the trainable weights and
 * the optimizer moments ({@code trainer_state.json} in each checkpoint). {@code bestMetric} is NaN
 * until the first validation; whether higher or lower is better is the trainer's business.
 */
public final class TrainerState {
    private static final ObjectMapper JSON = new ObjectMapper();

    public int step;
    public long microStep;
    public int epoch;
    public int batchInEpoch;
    public double bestMetric = Double.NaN;
    public int bestStep;
    public int evalsWithoutImprovement;
    public long tokens;
    public double elapsed;

    /** Whether {@code value} beats the best so far (any value beats none). */
    public boolean improves(double value, boolean higherIsBetter) {
        if (Double.isNaN(value)) {
            return false;
        }
        return Double.isNaN(bestMetric) || (higherIsBetter ? value > bestMetric : value < bestMetric);
    }

    public static TrainerState read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        TrainerState s = new TrainerState();
        s.step = n.path("step").asInt();
        s.microStep = n.path("micro_step").asLong();
        s.epoch = n.path("epoch").asInt();
        s.batchInEpoch = n.path("batch_in_epoch").asInt();
        s.bestMetric = n.path("best_metric").isNumber() ? n.path("best_metric").asDouble() : Double.NaN;
        s.bestStep = n.path("best_step").asInt();
        s.evalsWithoutImprovement = n.path("evals_without_improvement").asInt();
        s.tokens = n.path("tokens").asLong();
        s.elapsed = n.path("elapsed_seconds").asDouble();
        return s;
    }

    public Map<String, Object> toMap(double elapsedSeconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("micro_step", microStep);
        m.put("epoch", epoch);
        m.put("batch_in_epoch", batchInEpoch);
        m.put("best_metric", Double.isFinite(bestMetric) ? bestMetric : null);
        m.put("best_step", bestStep);
        m.put("evals_without_improvement", evalsWithoutImprovement);
        m.put("tokens", tokens);
        m.put("elapsed_seconds", elapsedSeconds);
        return m;
    }
}
