package io.supportlm.train;

/**
 * Learning rate by step, as transformers' {@code get_linear_schedule_with_warmup} and
 * {@code get_cosine_schedule_with_warmup}: linear warm-up from 0 over {@code warmupSteps}, then a
 * linear or half-cosine decay to 0 at {@code totalSteps}; or constant after warm-up.
 */
public record LrSchedule(Kind kind, double peak, int warmupSteps, int totalSteps) {
    public enum Kind {
        LINEAR, COSINE, CONSTANT
    }

    public LrSchedule {
        if (!(peak > 0)) {
            throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmup steps (" + warmupSteps + ") <= total steps (" + totalSteps + ")");
        }
    }

    /** The rate for optimizer step {@code step}, counted from 1. */
    public double at(int step) {
        int s = step - 1; // transformers counts from 0
        if (s < warmupSteps) {
            return peak * s / Math.max(1, warmupSteps);
        }
        double progress = (double) (s - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (kind) {
            case CONSTANT -> peak;
            case LINEAR -> peak * Math.max(0, 1 - progress);
            case COSINE -> peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
