package io.supportlm.train;

import io.supportlm.kernels.AdamW;
import io.supportlm.kernels.GradClip;
import io.supportlm.model.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW over a list of named parameters, with global-norm gradient clipping and a learning-rate
 * schedule. Its state (moments and step) can be read and restored by name, which is what a
 * resumed run needs to end exactly where an uninterrupted one would.
 */
public final class Optimizer {
    private final List<Parameter> params;
    private final List<float[]> m;
    private final List<float[]> v;
    private final AdamW.Config adam;
    private final LrSchedule schedule;
    private final float maxGradNorm;
    private int step;

    public Optimizer(List<Parameter> params, AdamW.Config adam, LrSchedule schedule, float maxGradNorm) {
        this.params = List.copyOf(params);
        this.adam = adam;
        this.schedule = schedule;
        this.maxGradNorm = maxGradNorm;
        this.m = new ArrayList<>();
        this.v = new ArrayList<>();
        for (Parameter p : params) {
            m.add(new float[p.values().length]);
            v.add(new float[p.values().length]);
        }
    }

    /**
     * Optimizer steps of a run over {@code examples} training items: full accumulation groups of
     * batches per epoch (at least one) times the epochs, capped by {@code max_steps}.
     */
    public static int totalSteps(TrainConfig.Optim o, int examples) {
        return totalStepsOfBatches(o, (examples + o.batchSize() - 1) / o.batchSize());
    }

    /** Optimizer steps of a run whose epochs have {@code batchesPerEpoch} batches (packed rows make fewer than the examples). */
    public static int totalStepsOfBatches(TrainConfig.Optim o, int batchesPerEpoch) {
        int stepsPerEpoch = Math.max(1, batchesPerEpoch / o.gradAccum());
        int total = stepsPerEpoch * o.epochs();
        return o.maxSteps() > 0 ? Math.min(total, o.maxSteps()) : total;
    }

    /** AdamW (β 0.9, 0.999, ε 1e-8) with the config's decay, schedule, warm-up and clipping over {@code totalSteps}. */
    public static Optimizer fromConfig(List<Parameter> params, TrainConfig.Optim o, int totalSteps) {
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.valueOf(o.schedule().toUpperCase()), o.learningRate(),
                (int) Math.round(o.warmupRatio() * totalSteps), totalSteps);
        return new Optimizer(params, new AdamW.Config(0.9, 0.999, 1e-8, o.weightDecay()), schedule, o.maxGradNorm());
    }

    public List<Parameter> parameters() {
        return params;
    }

    public int step() {
        return step;
    }

    public double learningRate() {
        return schedule.at(Math.max(1, step));
    }

    public void zeroGrad() {
        params.forEach(Parameter::zeroGrad);
    }

    /** What one update did: the pre-clip gradient norm and the rate used; skipped when non-finite. */
    public record Update(int step, double gradNorm, double learningRate, boolean skipped) {}

    /** Clips, then applies one AdamW update; a non-finite gradient norm skips the update. */
    public Update apply() {
        List<float[]> grads = params.stream().map(Parameter::grads).toList();
        double norm = maxGradNorm > 0 ? GradClip.clip(grads, maxGradNorm) : GradClip.norm(grads);
        if (!Double.isFinite(norm)) {
            return new Update(step, norm, 0, true);
        }
        step++;
        double lr = schedule.at(step);
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            AdamW.update(p.values(), 0, m.get(i), 0, v.get(i), 0, p.grads(), 0, p.values().length, lr, step, adam);
        }
        return new Update(step, norm, lr, false);
    }

    /** First and second moments by parameter name ({@code <name>.exp_avg}, {@code <name>.exp_avg_sq}). */
    public Map<String, float[]> state() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            out.put(params.get(i).name() + ".exp_avg", m.get(i));
            out.put(params.get(i).name() + ".exp_avg_sq", v.get(i));
        }
        return out;
    }

    /** Restores moments and step saved by {@link #state()}; every parameter must be present. */
    public void restore(Map<String, float[]> state, int step) {
        for (int i = 0; i < params.size(); i++) {
            copy(state, params.get(i).name() + ".exp_avg", m.get(i));
            copy(state, params.get(i).name() + ".exp_avg_sq", v.get(i));
        }
        this.step = step;
    }

    private static void copy(Map<String, float[]> state, String name, float[] into) {
        float[] saved = state.get(name);
        if (saved == null || saved.length != into.length) {
            throw new IllegalArgumentException("optimizer state: '" + name + "' is missing or has the wrong size");
        }
        System.arraycopy(saved, 0, into, 0, into.length);
    }
}
