package io.supportlm.classify;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.eval.EvaluationReport;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.BackboneQuantizer;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.Parameter;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.PromptTuning;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.tensor.Parallel;
import io.supportlm.train.RunFiles;
import io.supportlm.train.TrainListener;
import io.supportlm.train.TrainerState;
import io.supportlm.train.Optimizer;
import io.supportlm.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fine-tunes a {@link MultiTaskClassifier} with LoRA, QLoRA or prompt tuning on a frozen base model: AdamW with a warm-up
 * schedule, gradient accumulation and clipping; validation macro-F1 (mean over tasks) every
 * {@code eval.every} steps with early stopping and the best adapter kept; resumable checkpoints.
 *
 * <p>A run directory holds {@code config.yaml} (resolved), {@code metrics.jsonl} (one line per
 * optimizer step and per validation), {@code checkpoints/step-N/} (adapter, optimizer moments,
 * trainer state), {@code best/} and, at the end, {@code adapter/}. Every random choice (head
 * init, adapter init, data order, dropout masks) derives from the seed and the step, and the
 * kernels are deterministic for a thread count, so the same config, seed and thread count give
 * the same loss curve, and a resumed run ends where an uninterrupted one would.
 */
public final class ClassifierTrainer {

    /** The classifier's progress listener: the shared {@link TrainListener} (validation metric: mean macro-F1). */
    public interface Listener extends TrainListener {}

    public record Result(Path runDir, Path adapterDir, int steps, double bestMacroF1, int bestStep, boolean stoppedEarly,
                         double seconds, long tokens, long trainableParameters, EvaluationReport validation) {}

    private ClassifierTrainer() {}

    public static Path latestCheckpoint(Path runDir) throws IOException {
        return RunFiles.latestCheckpoint(runDir);
    }

    public static Result train(TrainConfig config, LoadedModel model, Path runDir, boolean resume, TrainListener listener)
            throws IOException {
        if (config.threads() > 0) {
            Parallel.setThreads(config.threads());
        }
        long started = System.nanoTime();
        Files.createDirectories(runDir);
        Files.writeString(runDir.resolve("config.yaml"), config.toYaml());

        TrainConfig.Data data = config.data();
        List<SupportRecord> trainRecords = Jsonl.read(Path.of(data.train()));
        List<List<String>> labelSets = LabeledTexts.labelSets(trainRecords, data.tasks());
        List<ClassificationTask> tasks = new ArrayList<>();
        for (int t = 0; t < data.tasks().size(); t++) {
            String name = data.tasks().get(t);
            tasks.add(new ClassificationTask(name, labelSets.get(t), config.classifier().taskWeights().getOrDefault(name, 1f), null,
                    config.classifier().labelSmoothing()));
        }
        LabeledTexts train = LabeledTexts.of(trainRecords, tasks, model.tokenizer(), data.maxLength(), false);
        if (config.classifier().classWeights().equals("balanced")) {
            for (int t = 0; t < tasks.size(); t++) {
                ClassificationTask task = tasks.get(t);
                tasks.set(t, new ClassificationTask(task.name(), task.labels(), task.lossWeight(),
                        train.balancedWeights(t, task.numLabels()), task.labelSmoothing()));
            }
        }
        LabeledTexts validation = data.validation() == null ? null
                : LabeledTexts.of(Jsonl.read(Path.of(data.validation())), tasks, model.tokenizer(), data.maxLength(), true);
        Pooling.Mode pooling = config.classifier().pooling().equals("auto") ? model.defaultPooling()
                : Pooling.Mode.valueOf(config.classifier().pooling().toUpperCase());
        ClassifierCheckpoint.Meta meta = new ClassifierCheckpoint.Meta(config.model(), model.backbone().modelType(), tasks,
                pooling, config.classifier().dropout(), data.maxLength(), config.method(),
                config.method().equals("qlora") ? config.quantization().bits() : 0);

        // The model: fresh heads and adapter, or the latest checkpoint's.
        Path checkpoint = resume ? latestCheckpoint(runDir) : null;
        if (resume && checkpoint == null) {
            throw new IllegalArgumentException(runDir + ": no checkpoint to resume from");
        }
        MultiTaskClassifier classifier;
        LoraAdapter lora = null; // one of the two adapters, by method
        PromptTuning prompt = null;
        if (checkpoint != null) {
            ClassifierCheckpoint.Loaded loaded = ClassifierCheckpoint.load(checkpoint, model.backbone());
            classifier = new MultiTaskClassifier(loaded.classifier().backbone(), pooling, config.classifier().dropout(),
                    withTaskWeights(loaded.classifier().heads(), tasks, model.backbone().hiddenSize()));
            lora = loaded.lora();
            prompt = loaded.prompt();
        } else if (config.method().equals("prompt")) {
            prompt = promptTuning(config, model);
            classifier = new MultiTaskClassifier(prompt.wrap((BertEncoder) model.backbone()), pooling,
                    config.classifier().dropout(), tasks, new Random(config.seed()));
        } else {
            if (meta.quantization() != null) {
                // QLoRA: the frozen base's linear weights become 4-bit NF4 (or 8-bit) blocks, dequantized inside the matmuls.
                BackboneQuantizer.quantizeInPlace(model.backbone(), meta.quantization());
            }
            classifier = new MultiTaskClassifier(model.backbone(), pooling, config.classifier().dropout(), tasks, new Random(config.seed()));
            lora = LoraAdapter.attach(model.backbone(), loraConfig(config, model.backbone().modelType()), config.seed() + 1);
        }
        List<Parameter> params = new ArrayList<>(lora != null ? lora.parameters() : prompt.parameters());
        params.addAll(classifier.headParameters());
        long trainable = params.stream().mapToLong(p -> p.values().length).sum();

        TrainConfig.Optim o = config.optim();
        int totalSteps = Optimizer.totalSteps(o, train.size());
        Optimizer optimizer = Optimizer.fromConfig(params, o, totalSteps);

        TrainerState state = new TrainerState();
        if (checkpoint != null) {
            state = RunFiles.restore(checkpoint, optimizer);
            RunFiles.truncateMetrics(runDir, state.step);
        } else {
            Files.deleteIfExists(runDir.resolve(RunFiles.METRICS));
        }

        int maxT = Math.max(train.maxTokens(), validation == null ? 1 : validation.maxTokens());
        float rDrop = config.classifier().rDrop();
        int copies = rDrop > 0 ? 2 : 1; // R-Drop runs every text twice, under two dropout masks
        MultiTaskClassifier.Workspace ws = classifier.allocate(o.batchSize() * copies, maxT);
        ClassifierPredictor predictor = new ClassifierPredictor(classifier, model.tokenizer(), data.maxLength(), model.padId(),
                Math.max(o.batchSize(), 32));
        listener.onStart(totalSteps, state.step);
        boolean stopped = false;
        EvaluationReport lastValidation = null;
        double windowLoss = 0;
        int windowBatches = 0;
        long windowTokens = 0;
        long windowStart = System.nanoTime();
        outer:
        for (int epoch = state.epoch; epoch < o.epochs(); epoch++) {
            List<int[]> batches = train.epochBatches(o.batchSize(), config.seed(), epoch);
            int usable = (batches.size() / o.gradAccum()) * o.gradAccum();
            for (int bi = epoch == state.epoch ? state.batchInEpoch : 0; bi < usable; bi++) {
                LabeledTexts.Batch batch = train.batch(repeat(batches.get(bi), copies), model.padId());
                if (bi % o.gradAccum() == 0) {
                    optimizer.zeroGrad();
                }
                long micro = state.microStep++;
                if (lora != null) {
                    lora.schedule().train(config.seed(), micro);
                }
                classifier.forward(ws, batch.ids(), batch.mask(), batch.B(), batch.T(), true, config.seed(), micro);
                float loss = classifier.loss(ws, batch.labels(), rDrop);
                classifier.backward(ws, 1f / o.gradAccum(), true, config.seed(), micro);
                windowLoss += loss;
                windowBatches++;
                for (int i = 0; i < batch.mask().length / copies; i++) {
                    windowTokens += batch.mask()[i];
                }
                if ((bi + 1) % o.gradAccum() != 0) {
                    continue;
                }
                Optimizer.Update update = optimizer.apply();
                state.step = optimizer.step();
                state.epoch = epoch;
                state.batchInEpoch = bi + 1;
                double seconds = (System.nanoTime() - windowStart) / 1e9;
                state.tokens += windowTokens;
                TrainListener.StepLog log = new TrainListener.StepLog(state.step, epoch, windowLoss / windowBatches, update.learningRate(), update.gradNorm(),
                        windowTokens / Math.max(1e-9, seconds), state.elapsed + (System.nanoTime() - started) / 1e9);
                RunFiles.appendMetrics(runDir, Map.of("type", "train", "step", log.step(), "epoch", epoch, "loss", log.loss(),
                        "lr", log.learningRate(), "grad_norm", log.gradNorm(), "tokens_per_s", log.tokensPerSecond()));
                listener.onStep(log);
                windowLoss = 0;
                windowBatches = 0;
                windowTokens = 0;
                windowStart = System.nanoTime();

                boolean last = state.step >= totalSteps;
                boolean epochEnd = bi + 1 >= usable;
                if (validation != null && (state.step % config.eval().every() == 0 || last || epochEnd)) {
                    if (lora != null) {
                        lora.schedule().eval();
                    }
                    lastValidation = predictor.evaluate(validation, runDir.getFileName().toString(), "fine-tuned", 1);
                    double f1 = lastValidation.meanMacroF1();
                    boolean better = state.improves(f1, true);
                    RunFiles.appendMetrics(runDir, Map.of("type", "validation", "step", state.step, "mean_macro_f1", f1, "best", better));
                    listener.onValidation(state.step, "mean macro-F1", f1, better);
                    if (better) {
                        state.bestMetric = f1;
                        state.bestStep = state.step;
                        state.evalsWithoutImprovement = 0;
                        saveAdapter(runDir.resolve("best"), classifier, lora, prompt, meta);
                    } else if (config.eval().patience() > 0 && ++state.evalsWithoutImprovement >= config.eval().patience()) {
                        stopped = true;
                    }
                }
                if (state.step % config.checkpointEvery() == 0 && !last && !stopped) {
                    if (epochEnd) {
                        state.epoch = epoch + 1;
                        state.batchInEpoch = 0;
                    }
                    saveCheckpoint(runDir, state, classifier, lora, prompt, optimizer, meta, started);
                }
                if (last || stopped) {
                    break outer;
                }
            }
            state.batchInEpoch = 0;
        }
        Path adapter = runDir.resolve("adapter");
        if (validation != null && Files.isDirectory(runDir.resolve("best"))) {
            RunFiles.deleteTree(adapter);
            RunFiles.copyTree(runDir.resolve("best"), adapter);
        } else {
            saveAdapter(adapter, classifier, lora, prompt, meta);
        }
        double seconds = state.elapsed + (System.nanoTime() - started) / 1e9;
        return new Result(runDir, adapter, state.step, state.bestMetric, state.bestStep, stopped, seconds, state.tokens,
                trainable, lastValidation);
    }

    /** The rows {@code copies} times over, one copy after the other. */
    private static int[] repeat(int[] rows, int copies) {
        int[] out = new int[rows.length * copies];
        for (int c = 0; c < copies; c++) {
            System.arraycopy(rows, 0, out, c * rows.length, rows.length);
        }
        return out;
    }

    private static void saveAdapter(Path dir, MultiTaskClassifier classifier, LoraAdapter lora, PromptTuning prompt,
                                    ClassifierCheckpoint.Meta meta) throws IOException {
        if (lora != null) {
            ClassifierCheckpoint.save(dir, classifier, lora, meta);
        } else {
            ClassifierCheckpoint.save(dir, classifier, prompt, meta);
        }
    }

    /** Fresh virtual tokens from the config: from the init text's tokens (special tokens included, as PEFT) or random. */
    static PromptTuning promptTuning(TrainConfig config, LoadedModel model) {
        if (!(model.backbone() instanceof BertEncoder encoder)) {
            throw new IllegalArgumentException("method prompt is supported for BERT encoders; " + config.model() + " is a "
                    + model.backbone().modelType() + " model");
        }
        TrainConfig.Prompt p = config.prompt();
        boolean text = p.init().equals("text");
        PromptTuning.Config pc = new PromptTuning.Config(p.numVirtualTokens(),
                text ? PromptTuning.Init.TEXT : PromptTuning.Init.RANDOM, text ? p.initText() : null);
        if (!text) {
            return PromptTuning.random(pc, encoder.hiddenSize(), config.seed() + 1);
        }
        return PromptTuning.fromText(pc, model.tokenizer().encode(p.initText(), true).ids(), encoder);
    }

    /** LoRA settings from the config, with the per-family default targets PEFT uses. */
    static LoraConfig loraConfig(TrainConfig config, String modelType) {
        List<String> targets = config.lora().targetModules();
        if (targets == null || targets.isEmpty()) {
            targets = switch (modelType) {
                case "bert" -> List.of("query", "value");
                case "gpt_neox" -> List.of("query_key_value");
                default -> List.of("q_proj", "v_proj");
            };
        }
        return new LoraConfig(config.lora().r(), config.lora().alpha(), config.lora().dropout(), targets, false,
                config.lora().useRslora());
    }

    /** Heads read from a checkpoint take this run's task weights and class weights. */
    private static List<MultiTaskClassifier.Head> withTaskWeights(List<MultiTaskClassifier.Head> heads,
                                                                  List<ClassificationTask> tasks, int hidden) {
        List<MultiTaskClassifier.Head> out = new ArrayList<>();
        for (int i = 0; i < heads.size(); i++) {
            MultiTaskClassifier.Head h = heads.get(i);
            if (!h.task().labels().equals(tasks.get(i).labels())) {
                throw new IllegalArgumentException("the checkpoint's labels for task '" + h.task().name()
                        + "' differ from the training data's: " + h.task().labels() + " vs " + tasks.get(i).labels());
            }
            out.add(MultiTaskClassifier.head(tasks.get(i), h.weight(), h.bias(), hidden));
        }
        return out;
    }

    private static void saveCheckpoint(Path runDir, TrainerState state, MultiTaskClassifier classifier, LoraAdapter lora,
                                       PromptTuning prompt, Optimizer optimizer, ClassifierCheckpoint.Meta meta, long started)
            throws IOException {
        Path dir = RunFiles.checkpointDir(runDir, state.step);
        saveAdapter(dir, classifier, lora, prompt, meta);
        RunFiles.completeCheckpoint(dir, optimizer, state, state.elapsed + (System.nanoTime() - started) / 1e9);
    }
}
