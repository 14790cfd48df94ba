package io.supportlm.cli;

import io.supportlm.train.TrainListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The training progress bar: step, loss, throughput and time left; plain lines when not on a terminal. */
final class TrainProgress implements TrainListener, AutoCloseable {
    private final boolean show;
    private final boolean terminal = System.console() != null;
    private ProgressBar bar;
    private int total;

    TrainProgress(boolean show) {
        this.show = show;
    }

    @Override
    public void onStart(int totalSteps, int startStep) {
        total = totalSteps;
        if (show && terminal) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).continuousUpdate().startsFrom(startStep, java.time.Duration.ZERO).build();
        }
    }

    @Override
    public void onStep(StepLog log) {
        if (bar != null) {
            bar.stepTo(log.step());
            bar.setExtraMessage(String.format("loss %.4f, %.0f tok/s", log.loss(), log.tokensPerSecond()));
            if (log.step() >= total) {
                bar.close();
                bar = null;
            }
        } else if (show && (log.step() % 10 == 0 || log.step() == total)) {
            double left = log.elapsedSeconds() / log.step() * (total - log.step());
            System.err.printf("step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  %.0f s left%n", log.step(), total, log.loss(),
                    log.learningRate(), log.tokensPerSecond(), left);
        }
    }

    @Override
    public void onValidation(int step, String metric, double value, boolean best) {
        if (show) {
            String line = String.format("validation at step %d: %s %.4f%s", step, metric, value, best ? " (best)" : "");
            if (bar != null) {
                bar.setExtraMessage(line);
            } else {
                System.err.println(line);
            }
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
