package io.supportlm.peft;

/**
 * Where dropout draws its randomness: the run's seed and the current step, shared by every adapter
 * of a model. Each adapter adds its own site number, so masks differ between modules and steps but
 * are reproduced exactly by the backward pass and by a resumed run.
 */
public final class DropoutSchedule {
    private boolean training;
    private long seed;
    private long step;

    /** Enters training mode at {@code step} (dropout on) with the run's {@code seed}. */
    public void train(long seed, long step) {
        this.training = true;
        this.seed = seed;
        this.step = step;
    }

    /** Evaluation mode: dropout off. */
    public void eval() {
        this.training = false;
    }

    public boolean training() {
        return training;
    }

    public long seed() {
        return seed;
    }

    public long step() {
        return step;
    }
}
