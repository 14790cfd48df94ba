package io.supportlm.eval;

/**
 * What the classifier said about one example for one task.
 *
 * @param gold the gold class, or {@link ClassificationMetrics#MISSING_GOLD} when the task does not apply
 * @param predicted the predicted class (arg-max)
 * @param confidence the predicted class's probability, in [0, 1]
 * @param ranked classes ranked best first (for top-k), starting with the predicted class, see {@link TopK#rank}
 */
public record TaskPrediction(int gold, int predicted, double confidence, int[] ranked) {
    public TaskPrediction {
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("confidence must be in [0, 1], got " + confidence);
        }
        if (ranked == null || ranked.length == 0) {
            throw new IllegalArgumentException("ranked classes must hold at least the predicted class");
        }
        if (ranked[0] != predicted) {
            // Otherwise top-1 accuracy and accuracy would disagree: a sign of a tie broken two ways.
            throw new IllegalArgumentException("ranked classes start with " + ranked[0]
                    + " but the predicted class is " + predicted);
        }
        ranked = ranked.clone();
    }

    @Override
    public int[] ranked() {
        return ranked.clone();
    }
}
