package io.supportlm.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.eval.EvaluationReport;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.kernels.AdamW;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.BackboneQuantizer;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.Parameter;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.PromptTuning;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.tensor.Parallel;
import io.supportlm.train.LrSchedule;
import io.supportlm.train.Optimizer;
import io.supportlm.train.TrainConfig;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Progress notifications (the CLI draws its progress bar from these). */
    public interface Listener {
        default void onStart(int totalSteps, int startStep) {}

        default void onStep(StepLog log) {}

        default void onValidation(int step, double meanMacroF1, boolean best) {}
    }

    public record StepLog(int step, int epoch, double loss, double learningRate, double gradNorm, double tokensPerSecond,
                          double elapsedSeconds) {}

    public record Result(Path runDir, Path adapterDir, int steps, double bestMacroF1, int bestStep, boolean stoppedEarly,
                         double seconds, long tokens, long trainableParameters, EvaluationReport validation) {}

    private ClassifierTrainer() {}

    public static Path latestCheckpoint(Path runDir) throws IOException {
        Path dir = runDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) {
            return null;
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isRegularFile(p.resolve("trainer_state.json")))
                    .max(java.util.Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(5))))
                    .orElse(null);
        }
    }

    public static Result train(TrainConfig config, LoadedModel model, Path runDir, boolean resume, Listener listener)
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
            tasks.add(new ClassificationTask(name, labelSets.get(t), config.classifier().taskWeights().getOrDefault(name, 1f), null));
        }
        LabeledTexts train = LabeledTexts.of(trainRecords, tasks, model.tokenizer(), data.maxLength(), false);
        if (config.classifier().classWeights().equals("balanced")) {
            for (int t = 0; t < tasks.size(); t++) {
                ClassificationTask task = tasks.get(t);
                tasks.set(t, new ClassificationTask(task.name(), task.labels(), task.lossWeight(),
                        train.balancedWeights(t, task.numLabels())));
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
        int batchesPerEpoch = (train.size() + o.batchSize() - 1) / o.batchSize();
        int stepsPerEpoch = Math.max(1, batchesPerEpoch / o.gradAccum());
        int totalSteps = stepsPerEpoch * o.epochs();
        if (o.maxSteps() > 0) {
            totalSteps = Math.min(totalSteps, o.maxSteps());
        }
        LrSchedule schedule = new LrSchedule(LrSchedule.Kind.valueOf(o.schedule().toUpperCase()), o.learningRate(),
                (int) Math.round(o.warmupRatio() * totalSteps), totalSteps);
        Optimizer optimizer = new Optimizer(params, new AdamW.Config(0.9, 0.999, 1e-8, o.weightDecay()), schedule, o.maxGradNorm());

        State state = new State();
        if (checkpoint != null) {
            state = State.read(checkpoint.resolve("trainer_state.json"));
            try (SafetensorsFile moments = SafetensorsFile.open(checkpoint.resolve("optimizer.safetensors"))) {
                Map<String, float[]> saved = new LinkedHashMap<>();
                for (String name : moments.names()) {
                    saved.put(name, moments.tensor(name).toFloatArray());
                }
                optimizer.restore(saved, state.step);
            }
            truncateMetrics(runDir.resolve("metrics.jsonl"), state.step);
        } else {
            Files.deleteIfExists(runDir.resolve("metrics.jsonl"));
        }

        int maxT = Math.max(train.maxTokens(), validation == null ? 1 : validation.maxTokens());
        MultiTaskClassifier.Workspace ws = classifier.allocate(o.batchSize(), maxT);
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
                LabeledTexts.Batch batch = train.batch(batches.get(bi), model.padId());
                if (bi % o.gradAccum() == 0) {
                    optimizer.zeroGrad();
                }
                long micro = state.microStep++;
                if (lora != null) {
                    lora.schedule().train(config.seed(), micro);
                }
                classifier.forward(ws, batch.ids(), batch.mask(), batch.B(), batch.T(), true, config.seed(), micro);
                float loss = classifier.loss(ws, batch.labels());
                classifier.backward(ws, 1f / o.gradAccum(), true, config.seed(), micro);
                windowLoss += loss;
                windowBatches++;
                for (int m : batch.mask()) {
                    windowTokens += m;
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
                StepLog log = new StepLog(state.step, epoch, windowLoss / windowBatches, update.learningRate(), update.gradNorm(),
                        windowTokens / Math.max(1e-9, seconds), state.elapsed + (System.nanoTime() - started) / 1e9);
                appendMetrics(runDir, Map.of("type", "train", "step", log.step(), "epoch", epoch, "loss", log.loss(),
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
                    boolean better = f1 > state.bestMetric;
                    appendMetrics(runDir, Map.of("type", "validation", "step", state.step, "mean_macro_f1", f1, "best", better));
                    listener.onValidation(state.step, f1, better);
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
            ClassifierCheckpoint.deleteTree(adapter);
            copyTree(runDir.resolve("best"), adapter);
        } else {
            saveAdapter(adapter, classifier, lora, prompt, meta);
        }
        double seconds = state.elapsed + (System.nanoTime() - started) / 1e9;
        return new Result(runDir, adapter, state.step, state.bestMetric, state.bestStep, stopped, seconds, state.tokens,
                trainable, lastValidation);
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

    /** Where training stands: everything a resumed run needs besides the weights and moments. */
    static final class State {
        int step;
        long microStep;
        int epoch;
        int batchInEpoch;
        double bestMetric = Double.NEGATIVE_INFINITY;
        int bestStep;
        int evalsWithoutImprovement;
        long tokens;
        double elapsed;

        static State read(Path file) throws IOException {
            JsonNode n = JSON.readTree(file.toFile());
            State s = new State();
            s.step = n.path("step").asInt();
            s.microStep = n.path("micro_step").asLong();
            s.epoch = n.path("epoch").asInt();
            s.batchInEpoch = n.path("batch_in_epoch").asInt();
            s.bestMetric = n.path("best_metric").isNumber() ? n.path("best_metric").asDouble() : Double.NEGATIVE_INFINITY;
            s.bestStep = n.path("best_step").asInt();
            s.evalsWithoutImprovement = n.path("evals_without_improvement").asInt();
            s.tokens = n.path("tokens").asLong();
            s.elapsed = n.path("elapsed_seconds").asDouble();
            return s;
        }

        Map<String, Object> toMap(double elapsed) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", step);
            m.put("micro_step", microStep);
            m.put("epoch", epoch);
            m.put("batch_in_epoch", batchInEpoch);
            m.put("best_metric", Double.isFinite(bestMetric) ? bestMetric : null);
            m.put("best_step", bestStep);
            m.put("evals_without_improvement", evalsWithoutImprovement);
            m.put("tokens", tokens);
            m.put("elapsed_seconds", elapsed);
            return m;
        }
    }

    private static void saveCheckpoint(Path runDir, State state, MultiTaskClassifier classifier, LoraAdapter lora,
                                       PromptTuning prompt, Optimizer optimizer, ClassifierCheckpoint.Meta meta, long started)
            throws IOException {
        Path dir = runDir.resolve("checkpoints").resolve(String.format("step-%06d", state.step));
        saveAdapter(dir, classifier, lora, prompt, meta);
        SafetensorsWriter moments = new SafetensorsWriter();
        for (Map.Entry<String, float[]> e : optimizer.state().entrySet()) {
            moments.add(e.getKey(), e.getValue(), e.getValue().length);
        }
        moments.write(dir.resolve("optimizer.safetensors"));
        // trainer_state.json last: its presence marks the checkpoint complete.
        Path tmp = dir.resolve("trainer_state.json.tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(),
                state.toMap(state.elapsed + (System.nanoTime() - started) / 1e9));
        Files.move(tmp, dir.resolve("trainer_state.json"), StandardCopyOption.ATOMIC_MOVE);
    }

    private static void appendMetrics(Path runDir, Map<String, Object> line) throws IOException {
        try (Writer w = Files.newBufferedWriter(runDir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(new java.util.TreeMap<>(line)));
            w.write('\n');
        }
    }

    /** Keeps the metrics of steps up to {@code step}: a resumed run rewrites what came after. */
    private static void truncateMetrics(Path file, int step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && JSON.readTree(line).path("step").asInt() <= step) {
                kept.add(line);
            }
        }
        Files.write(file, kept);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
