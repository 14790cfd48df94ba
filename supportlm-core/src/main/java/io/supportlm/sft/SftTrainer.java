package io.supportlm.sft;

import io.supportlm.model.BackboneQuantizer;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.Parameter;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderWeights;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.PromptTuning;
import io.supportlm.sft.data.SftBatches;
import io.supportlm.sft.data.SftDataConfig;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.train.Optimizer;
import io.supportlm.train.RunFiles;
import io.supportlm.train.TrainConfig;
import io.supportlm.train.TrainListener;
import io.supportlm.train.TrainerState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Supervised fine-tuning of a decoder for reply generation with LoRA, QLoRA or prompt tuning, on
 * tokenized examples whose labels cover the assistant's tokens ({@link SftExample}).
 *
 * <p>Each optimizer step takes {@code optim.grad_accum} micro-batches of {@code optim.batch_size}
 * examples right-padded to the longest of the batch, or with {@code sft.packing} {@code batch_size}
 * rows of {@code sft.max_length} tokens packed with several examples each ({@link SftBatches}:
 * the batch at (epoch, step) depends on the seed alone, which resuming relies on); the loss is the mean over every target token of the step
 * ({@link CausalLmLoss}). AdamW, schedule, clipping, checkpoints, metrics and resume are shared
 * with the classifier ({@link io.supportlm.train}): a run directory holds {@code config.yaml},
 * {@code metrics.jsonl}, {@code checkpoints/step-N/}, {@code best/} (lowest validation loss) and
 * {@code adapter/} ({@link CausalLmAdapter}'s layout). Every random choice derives from the seed
 * and the step and the kernels are deterministic for a thread count, so a resumed run ends
 * bit-for-bit where an uninterrupted one would.
 */
public final class SftTrainer {
    private SftTrainer() {}

    public record Result(Path runDir, Path adapterDir, int steps, double bestValidationLoss, int bestStep, boolean stoppedEarly,
                         double seconds, long tokens, long trainableParameters) {}

    /** The trainable part: a LoRA adapter (attached to the model) or virtual tokens. */
    record Adapter(LoraAdapter lora, PromptTuning prompt) {
        List<Parameter> parameters() {
            return lora != null ? lora.parameters() : prompt.parameters();
        }

        void save(Path dir, CausalLmAdapter.Meta meta) throws IOException {
            if (lora != null) {
                CausalLmAdapter.save(dir, lora, meta);
            } else {
                CausalLmAdapter.save(dir, prompt, meta);
            }
        }

        void train(long seed, long micro) {
            if (lora != null) {
                lora.schedule().train(seed, micro);
            }
        }

        void eval() {
            if (lora != null) {
                lora.schedule().eval();
            }
        }
    }

    /**
     * Trains on {@code train}, validating on {@code validation} (may be empty) when given.
     *
     * @param stopIds the ids that end a reply in the examples ({@code SftDataset.stopIds()}), recorded
     *     in the adapter's supportlm.json so that generation stops on the same tokens
     */
    public static Result train(TrainConfig config, LoadedModel model, List<SftExample> train, List<SftExample> validation,
                               Collection<Integer> stopIds, Path runDir, boolean resume, TrainListener listener) throws IOException {
        if (config.threads() > 0) {
            Parallel.setThreads(config.threads());
        }
        if (!(model.backbone() instanceof DecoderBackbone backbone)) {
            throw new IllegalArgumentException("task sft trains a decoder; " + config.model() + " is a "
                    + model.backbone().modelType() + " model");
        }
        if (train.isEmpty()) {
            throw new IllegalArgumentException("task sft: no training examples");
        }
        long started = System.nanoTime();
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("config.yaml"), config.toYaml());
        DecoderModel decoder = backbone.model();
        TrainConfig.Sft sft = config.sft();
        int maxT = checkLengths(train, sft.maxLength(), "training");
        if (validation != null) {
            maxT = Math.max(maxT, checkLengths(validation, sft.maxLength(), "validation"));
        }
        int padId = model.padId();
        TrainConfig.Optim o = config.optim();
        SftBatches batches = sft.packing()
                ? SftBatches.packed(train, o.batchSize(), sft.maxLength(), padId, config.seed())
                : SftBatches.padded(train, o.batchSize(), padId, config.seed());
        maxT = Math.max(maxT, batches.maxLength());
        CausalLmAdapter.Meta meta = meta(config, model, stopIds);

        Path checkpoint = resume ? RunFiles.latestCheckpoint(runDir) : null;
        if (resume && checkpoint == null) {
            throw new IllegalArgumentException(runDir + ": no checkpoint to resume from");
        }
        Adapter adapter = checkpoint != null ? load(checkpoint, decoder) : fresh(config, model, decoder);
        List<Parameter> params = adapter.parameters();
        long trainable = params.stream().mapToLong(p -> p.values().length).sum();

        int batchesPerEpoch = batches.batchesPerEpoch();
        int totalSteps = Optimizer.totalStepsOfBatches(o, batchesPerEpoch);
        Optimizer optimizer = Optimizer.fromConfig(params, o, totalSteps);
        TrainerState state = new TrainerState();
        if (checkpoint != null) {
            state = RunFiles.restore(checkpoint, optimizer);
            RunFiles.truncateMetrics(runDir, state.step);
        } else {
            Files.deleteIfExists(runDir.resolve(RunFiles.METRICS));
        }

        CausalLmLoss loss = new CausalLmLoss(decoder, adapter.prompt(), Math.max(batches.maxRows(), o.batchSize()), maxT,
                sft.logitChunk(), config.train().gradientCheckpointing());
        listener.onStart(totalSteps, state.step);
        boolean stopped = false;
        int usable = Math.max((batchesPerEpoch / o.gradAccum()) * o.gradAccum(), o.gradAccum());
        outer:
        for (int epoch = state.epoch; epoch < o.epochs(); epoch++) {
            for (int bi = epoch == state.epoch ? state.batchInEpoch : 0; bi + o.gradAccum() <= usable; ) {
                long windowStart = System.nanoTime();
                List<SftBatch> group = new ArrayList<>();
                int targets = 0;
                for (int k = 0; k < o.gradAccum(); k++, bi++) {
                    SftBatch b = batches.batch(epoch, bi % batchesPerEpoch); // fewer batches than one step takes: they repeat
                    group.add(b);
                    targets += CausalLmLoss.targets(b);
                }
                optimizer.zeroGrad();
                double lossSum = 0;
                long tokens = 0;
                float scale = targets == 0 ? 0f : 1f / targets;
                for (SftBatch b : group) {
                    adapter.train(config.seed(), state.microStep++);
                    loss.forward(b);
                    float[] scales = new float[b.B()];
                    Arrays.fill(scales, scale);
                    for (double r : loss.rowLosses(b, scales)) {
                        lossSum += r;
                    }
                    for (int m : b.mask()) {
                        tokens += m;
                    }
                }
                Optimizer.Update update = optimizer.apply();
                state.step = optimizer.step();
                state.epoch = epoch;
                state.batchInEpoch = bi;
                state.tokens += tokens;
                double seconds = (System.nanoTime() - windowStart) / 1e9;
                TrainListener.StepLog log = new TrainListener.StepLog(state.step, epoch, lossSum / Math.max(1, targets),
                        update.learningRate(), update.gradNorm(), tokens / Math.max(1e-9, seconds),
                        state.elapsed + (System.nanoTime() - started) / 1e9);
                RunFiles.appendMetrics(runDir, Map.of("type", "train", "step", log.step(), "epoch", epoch, "loss", log.loss(),
                        "lr", log.learningRate(), "grad_norm", log.gradNorm(), "tokens_per_s", log.tokensPerSecond(),
                        "targets", targets));
                listener.onStep(log);

                boolean last = state.step >= totalSteps;
                boolean epochEnd = bi + o.gradAccum() > usable;
                if (validation != null && !validation.isEmpty() && (state.step % config.eval().every() == 0 || last || epochEnd)) {
                    adapter.eval();
                    double v = validationLoss(loss, validation, o.batchSize(), padId);
                    boolean better = state.improves(v, false);
                    RunFiles.appendMetrics(runDir, Map.of("type", "validation", "step", state.step, "loss", v, "best", better));
                    listener.onValidation(state.step, "loss", v, better);
                    if (SftTrainer.afterValidation(config, state, v, better, adapter, meta, runDir)) {
                        stopped = true;
                    }
                }
                if (state.step % config.checkpointEvery() == 0 && !last && !stopped) {
                    SftTrainer.checkpoint(runDir, state, epoch, epochEnd, adapter, meta, optimizer, started);
                }
                if (last || stopped) {
                    break outer;
                }
            }
            state.batchInEpoch = 0;
        }
        Path out = SftTrainer.finalAdapter(runDir, adapter, meta);
        double seconds = state.elapsed + (System.nanoTime() - started) / 1e9;
        return new Result(runDir, out, state.step, state.bestMetric, state.bestStep, stopped, seconds, state.tokens, trainable);
    }

    /** Mean token loss over the examples (padded batches, adapters in evaluation mode). */
    public static double validationLoss(CausalLmLoss loss, List<SftExample> examples, int batchSize, int padId) {
        double sum = 0;
        long targets = 0;
        for (int from = 0; from < examples.size(); from += batchSize) {
            SftBatch b = SftBatches.inOrder(examples.subList(from, Math.min(from + batchSize, examples.size())), padId);
            loss.forward(b);
            for (double r : loss.rowLosses(b, null)) {
                sum += r;
            }
            targets += CausalLmLoss.targets(b);
        }
        return targets == 0 ? Double.NaN : sum / targets;
    }

    static int checkLengths(List<SftExample> examples, int maxLength, String what) {
        int max = 1;
        for (int i = 0; i < examples.size(); i++) {
            int n = examples.get(i).length();
            if (n > maxLength) {
                throw new IllegalArgumentException(what + " example " + i + " has " + n + " tokens, more than sft.max_length "
                        + maxLength + " (truncate when preparing the data)");
            }
            max = Math.max(max, n);
        }
        return max;
    }

    /** What the adapter records about its training: the base, the method, and how prompts were rendered and ended. */
    /**
     * After a validation run: keeps the adapter as {@code best/} when it improved, counts runs
     * without improvement, and says whether {@code eval.patience} now stops training.
     */
    static boolean afterValidation(TrainConfig config, TrainerState state, double value, boolean better, Adapter adapter,
                                   CausalLmAdapter.Meta meta, Path runDir) throws IOException {
        if (better) {
            state.bestMetric = value;
            state.bestStep = state.step;
            state.evalsWithoutImprovement = 0;
            adapter.save(runDir.resolve("best"), meta);
            return false;
        }
        return config.eval().patience() > 0 && ++state.evalsWithoutImprovement >= config.eval().patience();
    }

    /** A resumable checkpoint of the current step; at an epoch's end it resumes at the next epoch's start. */
    static void checkpoint(Path runDir, TrainerState state, int epoch, boolean epochEnd, Adapter adapter, CausalLmAdapter.Meta meta,
                           Optimizer optimizer, long started) throws IOException {
        if (epochEnd) {
            state.epoch = epoch + 1;
            state.batchInEpoch = 0;
        }
        Path dir = RunFiles.checkpointDir(runDir, state.step);
        adapter.save(dir, meta);
        RunFiles.completeCheckpoint(dir, optimizer, state, state.elapsed + (System.nanoTime() - started) / 1e9);
    }

    /** The run's {@code adapter/}: the best by validation when there was a validation, else the last. */
    static Path finalAdapter(Path runDir, Adapter adapter, CausalLmAdapter.Meta meta) throws IOException {
        Path out = runDir.resolve("adapter");
        if (Files.isDirectory(runDir.resolve("best"))) {
            RunFiles.deleteTree(out);
            RunFiles.copyTree(runDir.resolve("best"), out);
        } else {
            adapter.save(out, meta);
        }
        return out;
    }

    static CausalLmAdapter.Meta meta(TrainConfig config, LoadedModel model, Collection<Integer> stopIds) {
        DecoderModel decoder = ((DecoderBackbone) model.backbone()).model();
        return new CausalLmAdapter.Meta(config.model(), decoder.config().family().modelType, config.method(),
                config.method().equals("qlora") ? config.quantization().bits() : 0, config.sft().maxLength(),
                model.directory().hasChatTemplate(), config.sft().systemPrompt(), List.copyOf(new TreeSet<>(stopIds)));
    }

    /** The data settings of the config's {@code sft:} section. */
    public static SftDataConfig dataConfig(TrainConfig config) {
        TrainConfig.Sft sft = config.sft();
        return new SftDataConfig(sft.maxLength(), SftDataConfig.Truncation.parse(sft.truncation()), sft.windowStride(),
                sft.systemPrompt(), sft.skipIncomplete(), sft.stopTokens());
    }

    /** LoRA settings for a language model: every linear layer but the LM head unless the config names targets. */
    public static LoraConfig loraConfig(TrainConfig config) {
        List<String> targets = config.lora().targetModules();
        if (targets == null || targets.isEmpty()) {
            targets = List.of("all-linear");
        }
        return new LoraConfig(config.lora().r(), config.lora().alpha(), config.lora().dropout(), targets, false,
                config.lora().useRslora());
    }

    /** A new adapter from the config: LoRA (QLoRA quantizes the base first) or virtual tokens. */
    static Adapter fresh(TrainConfig config, LoadedModel model, DecoderModel decoder) {
        if (config.method().equals("prompt")) {
            TrainConfig.Prompt p = config.prompt();
            boolean text = p.init().equals("text");
            PromptTuning.Config pc = new PromptTuning.Config(p.numVirtualTokens(),
                    text ? PromptTuning.Init.TEXT : PromptTuning.Init.RANDOM, text ? p.initText() : null);
            int C = decoder.config().hiddenSize();
            if (!text) {
                return new Adapter(null, PromptTuning.random(pc, C, config.seed() + 1));
            }
            int[] textIds = model.tokenizer().encode(p.initText(), true).ids();
            if (textIds.length == 0) {
                throw new IllegalArgumentException("prompt.init_text '" + p.initText() + "' tokenizes to no tokens");
            }
            int[] ids = new int[pc.numVirtualTokens()];
            Arrays.setAll(ids, i -> textIds[i % textIds.length]);
            float[] e = new float[ids.length * C];
            decoder.embed(e, ids, ids.length);
            return new Adapter(null, PromptTuning.of(pc, C, e));
        }
        if (config.method().equals("qlora")) {
            BackboneQuantizer.quantizeInPlace(new DecoderBackbone(decoder), config.quantization().bits() == 8 ? QuantScheme.INT8
                    : QuantScheme.NF4);
        }
        LoraConfig lc = loraConfig(config);
        String head = DecoderWeights.lmHeadName(decoder.config().family());
        boolean headNamed = lc.targetModules().contains(head);
        return new Adapter(LoraAdapter.attach(new DecoderBackbone(decoder, headNamed), lc, config.seed() + 1), null);
    }

    static Adapter load(Path checkpoint, DecoderModel decoder) throws IOException {
        CausalLmAdapter a = CausalLmAdapter.load(checkpoint, decoder);
        return new Adapter(a.lora(), a.prompt());
    }
}
