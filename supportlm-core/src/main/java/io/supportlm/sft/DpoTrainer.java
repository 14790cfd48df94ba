package io.supportlm.sft;

import io.supportlm.model.LoadedModel;
import io.supportlm.model.Parameter;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.tensor.Parallel;
import io.supportlm.train.Optimizer;
import io.supportlm.train.RunFiles;
import io.supportlm.train.TrainConfig;
import io.supportlm.train.TrainListener;
import io.supportlm.train.TrainerState;
import io.supportlm.sft.data.SftBatches;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Preference tuning with DPO ({@link DpoLoss}) and LoRA or QLoRA. The reference model is the same
 * base with the adapter switched off ({@link LoraAdapter#setEnabled}) — no second copy of the
 * weights — and its log-probabilities of every chosen and rejected answer are computed once,
 * before the first step, and kept for the run (a resumed run computes the same numbers again
 * from the same base). Steps, schedule, checkpoints, resume, {@code best/} (lowest validation DPO
 * loss) and {@code adapter/} work as in {@link SftTrainer}; the metrics add the reward margin and
 * the fraction of pairs ranked right (accuracy).
 */
public final class DpoTrainer {
    private DpoTrainer() {}

    public record Result(Path runDir, Path adapterDir, int steps, double bestValidationLoss, int bestStep, boolean stoppedEarly,
                         double seconds, double lastMargin, double lastAccuracy) {}

    /** @param stopIds the ids that end a reply in the pairs ({@code PreferenceDataset.stopIds()}), recorded with the adapter */
    public static Result train(TrainConfig config, LoadedModel model, List<PreferenceExample> train,
                               List<PreferenceExample> validation, Collection<Integer> stopIds, Path runDir, boolean resume,
                               TrainListener listener) throws IOException {
        if (config.threads() > 0) {
            Parallel.setThreads(config.threads());
        }
        if (!(model.backbone() instanceof DecoderBackbone backbone)) {
            throw new IllegalArgumentException("task dpo trains a decoder; " + config.model() + " is a " + model.backbone().modelType()
                    + " model");
        }
        if (train.isEmpty()) {
            throw new IllegalArgumentException("task dpo: no preference pairs");
        }
        long started = System.nanoTime();
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("config.yaml"), config.toYaml());
        DecoderModel decoder = backbone.model();
        int maxT = 1;
        for (List<PreferenceExample> set : validation == null ? List.of(train) : List.of(train, validation)) {
            for (PreferenceExample p : set) {
                maxT = Math.max(maxT, Math.max(p.chosen().length(), p.rejected().length()));
            }
        }
        if (maxT > config.sft().maxLength()) {
            throw new IllegalArgumentException("a preference pair has " + maxT + " tokens, more than sft.max_length "
                    + config.sft().maxLength() + " (truncate when preparing the data)");
        }
        CausalLmAdapter.Meta meta = SftTrainer.meta(config, model, stopIds);
        Path checkpoint = resume ? RunFiles.latestCheckpoint(runDir) : null;
        if (resume && checkpoint == null) {
            throw new IllegalArgumentException(runDir + ": no checkpoint to resume from");
        }
        SftTrainer.Adapter adapter = checkpoint != null ? SftTrainer.load(checkpoint, decoder) : SftTrainer.fresh(config, model, decoder);
        LoraAdapter lora = adapter.lora();
        TrainConfig.Optim o = config.optim();
        CausalLmLoss policy = new CausalLmLoss(decoder, null, 2 * o.batchSize(), maxT, config.sft().logitChunk(),
                config.train().gradientCheckpointing());
        int padId = model.padId();

        // the reference: the base alone, once
        lora.setEnabled(false);
        lora.schedule().eval();
        double[][] ref = referenceLogps(policy, train, o.batchSize(), padId);
        double[][] refValidation = validation == null ? null : referenceLogps(policy, validation, o.batchSize(), padId);
        lora.setEnabled(true);

        List<Parameter> params = adapter.parameters();
        int totalSteps = Optimizer.totalSteps(o, train.size()); // one pair per batch slot, as SftBatches.preferencePairs makes them
        Optimizer optimizer = Optimizer.fromConfig(params, o, totalSteps);
        TrainerState state = new TrainerState();
        if (checkpoint != null) {
            state = RunFiles.restore(checkpoint, optimizer);
            RunFiles.truncateMetrics(runDir, state.step);
        } else {
            Files.deleteIfExists(runDir.resolve(RunFiles.METRICS));
        }
        double beta = config.dpo().beta(), eps = config.dpo().labelSmoothing();
        listener.onStart(totalSteps, state.step);
        boolean stopped = false;
        DpoLoss.Sums last = DpoLoss.Sums.zero();
        SftBatches batches = SftBatches.preferencePairs(train, o.batchSize(), padId, config.seed());
        int batchesPerEpoch = batches.batchesPerEpoch();
        int bound = Math.max((batchesPerEpoch / o.gradAccum()) * o.gradAccum(), o.gradAccum());
        outer:
        for (int epoch = state.epoch; epoch < o.epochs(); epoch++) {
            for (int bi = epoch == state.epoch ? state.batchInEpoch : 0; bi + o.gradAccum() <= bound; ) {
                long windowStart = System.nanoTime();
                List<Integer> steps = new ArrayList<>();
                List<SftBatch> group = new ArrayList<>();
                int pairs = 0;
                for (int k = 0; k < o.gradAccum(); k++, bi++) {
                    int step = bi % batchesPerEpoch; // fewer batches than one optimizer step takes: they repeat
                    steps.add(step);
                    group.add(batches.batch(epoch, step));
                    pairs += group.getLast().B() / 2;
                }
                optimizer.zeroGrad();
                DpoLoss.Sums sums = DpoLoss.Sums.zero();
                long tokens = 0;
                for (int g = 0; g < group.size(); g++) {
                    lora.schedule().train(config.seed(), state.microStep++);
                    SftBatch b = group.get(g);
                    int step = steps.get(g);
                    int n = b.B() / 2;
                    double[] rc = new double[n], rr = new double[n];
                    for (int i = 0; i < n; i++) {
                        int pair = batches.examplesIn(epoch, step, i)[0];
                        rc[i] = ref[0][pair];
                        rr[i] = ref[1][pair];
                    }
                    sums = sums.plus(DpoLoss.run(policy, b, rc, rr, beta, eps, 1f / pairs));
                    for (int m : b.mask()) {
                        tokens += m;
                    }
                }
                last = sums;
                Optimizer.Update update = optimizer.apply();
                state.step = optimizer.step();
                state.epoch = epoch;
                state.batchInEpoch = bi;
                state.tokens += tokens;
                double seconds = (System.nanoTime() - windowStart) / 1e9;
                TrainListener.StepLog log = new TrainListener.StepLog(state.step, epoch, sums.loss() / pairs, update.learningRate(),
                        update.gradNorm(), tokens / Math.max(1e-9, seconds), state.elapsed + (System.nanoTime() - started) / 1e9);
                Map<String, Object> line = new LinkedHashMap<>(Map.of("type", "train", "step", log.step(), "epoch", epoch,
                        "loss", log.loss(), "lr", log.learningRate(), "grad_norm", log.gradNorm(),
                        "tokens_per_s", log.tokensPerSecond()));
                line.put("reward_margin", sums.margin() / pairs);
                line.put("reward_accuracy", (double) sums.correct() / pairs);
                line.put("reward_chosen", sums.chosenReward() / pairs);
                line.put("reward_rejected", sums.rejectedReward() / pairs);
                RunFiles.appendMetrics(runDir, line);
                listener.onStep(log);

                boolean isLast = state.step >= totalSteps;
                boolean epochEnd = bi + o.gradAccum() > bound;
                if (validation != null && !validation.isEmpty() && (state.step % config.eval().every() == 0 || isLast || epochEnd)) {
                    lora.schedule().eval();
                    DpoLoss.Sums v = evaluate(policy, validation, refValidation, o.batchSize(), padId, beta, eps);
                    double vLoss = v.loss() / v.pairs();
                    boolean better = state.improves(vLoss, false);
                    RunFiles.appendMetrics(runDir, Map.of("type", "validation", "step", state.step, "loss", vLoss,
                            "reward_margin", v.margin() / v.pairs(), "reward_accuracy", (double) v.correct() / v.pairs(), "best", better));
                    listener.onValidation(state.step, "DPO loss", vLoss, better);
                    if (SftTrainer.afterValidation(config, state, vLoss, better, adapter, meta, runDir)) {
                        stopped = true;
                    }
                }
                if (state.step % config.checkpointEvery() == 0 && !isLast && !stopped) {
                    SftTrainer.checkpoint(runDir, state, epoch, epochEnd, adapter, meta, optimizer, started);
                }
                if (isLast || stopped) {
                    break outer;
                }
            }
            state.batchInEpoch = 0;
        }
        Path out = SftTrainer.finalAdapter(runDir, adapter, meta);
        double seconds = state.elapsed + (System.nanoTime() - started) / 1e9;
        int n = Math.max(1, last.pairs());
        return new Result(runDir, out, state.step, state.bestMetric, state.bestStep, stopped, seconds, last.margin() / n,
                (double) last.correct() / n);
    }

    /** Reference log-probabilities {chosen[], rejected[]} of every pair under the current model (call with the adapter off). */
    public static double[][] referenceLogps(CausalLmLoss model, List<PreferenceExample> pairs, int batchSize, int padId) {
        double[][] out = new double[2][pairs.size()];
        for (int from = 0; from < pairs.size(); from += batchSize) {
            int to = Math.min(from + batchSize, pairs.size());
            SftBatch b = DpoLoss.batch(pairs.subList(from, to), padId);
            model.forward(b);
            double[] rows = model.rowLosses(b, null);
            int n = to - from;
            for (int i = from; i < to; i++) {
                out[0][i] = -rows[i - from];
                out[1][i] = -rows[n + i - from];
            }
        }
        return out;
    }

    /** DPO loss sums over pairs, no gradient. */
    public static DpoLoss.Sums evaluate(CausalLmLoss policy, List<PreferenceExample> pairs, double[][] ref, int batchSize,
                                        int padId, double beta, double eps) {
        DpoLoss.Sums s = DpoLoss.Sums.zero();
        for (int from = 0; from < pairs.size(); from += batchSize) {
            int to = Math.min(from + batchSize, pairs.size());
            SftBatch b = DpoLoss.batch(pairs.subList(from, to), padId);
            s = s.plus(DpoLoss.run(policy, b, java.util.Arrays.copyOfRange(ref[0], from, to),
                    java.util.Arrays.copyOfRange(ref[1], from, to), beta, eps, 0f));
        }
        return s;
    }
}
