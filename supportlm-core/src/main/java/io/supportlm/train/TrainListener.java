package io.supportlm.train;

/** Progress notifications of a training run (the CLI draws its progress bar from these). */
public interface TrainListener {
    /** One optimizer step: mean loss of its micro-batches, rate, pre-clip gradient norm, throughput, time so far. */
    record StepLog(int step, int epoch, double loss, double learningRate, double gradNorm, double tokensPerSecond,
                   double elapsedSeconds) {}

    default void onStart(int totalSteps, int startStep) {}

    default void onStep(StepLog log) {}

    /** A validation run: the metric's name ({@code mean macro-F1}, {@code loss}), its value, and whether it is the best so far. */
    default void onValidation(int step, String metric, double value, boolean best) {}
}
