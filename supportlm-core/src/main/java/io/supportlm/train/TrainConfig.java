package io.supportlm.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A training run's configuration: {@code defaults.yaml} (beside this class, every default
 * documented there), then the user's YAML file, then {@code key.path=value} overrides from the
 * command line. Unknown keys are errors naming their full path; every section validates itself.
 * The resolved configuration is printed at start and saved with the run.
 */
public record TrainConfig(String task, String model, String method, long seed, int threads, String outputDir,
                          String runId, Data data, Classifier classifier, Lora lora, Quantization quantization,
                          Prompt prompt, Optim optim, Eval eval, int checkpointEvery, Sft sft, Dpo dpo, Train train) {

    public record Data(String train, String validation, String test, List<String> tasks, int maxLength) {
        public Data {
            tasks = tasks == null ? List.of() : List.copyOf(tasks);
            if (maxLength < 2) {
                throw new IllegalArgumentException("data.max_length must be at least 2, got " + maxLength);
            }
        }
    }

    public record Classifier(String pooling, float dropout, String classWeights, Map<String, Float> taskWeights,
                             float labelSmoothing, float rDrop) {
        public Classifier {
            oneOf("classifier.pooling", pooling, "auto", "cls", "mean", "last");
            oneOf("classifier.class_weights", classWeights, "none", "balanced");
            taskWeights = taskWeights == null ? Map.of() : Map.copyOf(taskWeights);
            if (!(dropout >= 0 && dropout < 1)) {
                throw new IllegalArgumentException("classifier.dropout must be in [0, 1), got " + dropout);
            }
            if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
                throw new IllegalArgumentException("classifier.label_smoothing must be in [0, 1), got " + labelSmoothing);
            }
            if (!(rDrop >= 0 && rDrop <= 100)) {
                throw new IllegalArgumentException("classifier.r_drop must be in [0, 100], got " + rDrop);
            }
        }
    }

    public record Lora(int r, float alpha, float dropout, List<String> targetModules, boolean useRslora) {}

    public record Quantization(int bits) {
        public Quantization {
            if (bits != 4 && bits != 8) {
                throw new IllegalArgumentException("quantization.bits must be 4 or 8, got " + bits);
            }
        }
    }

    /** Prompt tuning's virtual tokens (method prompt). */
    public record Prompt(int numVirtualTokens, String init, String initText) {
        public Prompt {
            oneOf("prompt.init", init, "text", "random");
            if (numVirtualTokens < 1) {
                throw new IllegalArgumentException("prompt.num_virtual_tokens must be at least 1, got " + numVirtualTokens);
            }
            if (init.equals("text") && (initText == null || initText.isBlank())) {
                throw new IllegalArgumentException("prompt.init_text is required when prompt.init is text");
            }
        }
    }

    public record Optim(double learningRate, double weightDecay, String schedule, double warmupRatio, float maxGradNorm,
                        int batchSize, int gradAccum, int epochs, int maxSteps) {
        public Optim {
            oneOf("optim.schedule", schedule, "linear", "cosine", "constant");
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("optim.learning_rate must be positive, got " + learningRate);
            }
            if (batchSize < 1 || gradAccum < 1 || epochs < 1 || maxSteps < 0) {
                throw new IllegalArgumentException("optim.batch_size, grad_accum and epochs must be at least 1 and max_steps at least 0");
            }
            if (!(warmupRatio >= 0 && warmupRatio < 1)) {
                throw new IllegalArgumentException("optim.warmup_ratio must be in [0, 1), got " + warmupRatio);
            }
        }
    }

    /**
     * Reply generation (tasks sft and dpo): how conversations become training sequences
     * ({@code io.supportlm.sft.data.SftDataConfig} is built from this).
     *
     * @param maxLength tokens per sequence (prompt and reply), at most the model's positions
     * @param truncation {@code latest_turns} (drop whole turns from the start, keeping the system
     *     prompt and the last exchange) or {@code sliding_window} (sft only: cut a long
     *     conversation into overlapping windows of max_length)
     * @param windowStride sliding window: tokens between window starts (0: max_length / 2)
     * @param packing pack several examples into each row of max_length (attention and the loss
     *     stay inside each example); batch_size then counts rows
     * @param systemPrompt a system message put before every conversation that has none (null: none)
     * @param skipIncomplete skip (and count) records without an assistant reply instead of failing
     * @param stopTokens token strings that end a reply besides EOS (each one vocabulary token)
     * @param logitChunk rows whose logits are computed at once (memory: 2 · logit_chunk · vocab floats)
     */
    public record Sft(int maxLength, String truncation, int windowStride, boolean packing, String systemPrompt,
                      boolean skipIncomplete, List<String> stopTokens, int logitChunk) {
        public Sft {
            oneOf("sft.truncation", truncation, "latest_turns", "sliding_window");
            stopTokens = stopTokens == null ? List.of() : List.copyOf(stopTokens);
            if (maxLength < 2) {
                throw new IllegalArgumentException("sft.max_length must be at least 2, got " + maxLength);
            }
            if (windowStride < 0 || windowStride >= maxLength) {
                throw new IllegalArgumentException("sft.window_stride must be in [0, max_length - 1] (0: max_length / 2), got "
                        + windowStride);
            }
            if (logitChunk < 1) {
                throw new IllegalArgumentException("sft.logit_chunk must be at least 1, got " + logitChunk);
            }
        }
    }

    /** DPO (task dpo): the sigmoid loss −log σ(β·((π_c − ref_c) − (π_r − ref_r))) with LoRA. */
    public record Dpo(double beta, double labelSmoothing) {
        public Dpo {
            if (!(beta > 0) || Double.isInfinite(beta)) {
                throw new IllegalArgumentException("dpo.beta must be a positive number, got " + beta);
            }
            if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
                throw new IllegalArgumentException("dpo.label_smoothing must be in [0, 0.5), got " + labelSmoothing);
            }
        }
    }

    /** Engine settings of the training step. */
    public record Train(boolean gradientCheckpointing) {}

    public record Eval(int every, int patience) {
        public Eval {
            if (every < 1 || patience < 0) {
                throw new IllegalArgumentException("eval.every must be at least 1 and eval.patience at least 0");
            }
        }
    }

    public TrainConfig {
        oneOf("task", task, "classify", "sft", "dpo");
        oneOf("method", method, "lora", "qlora", "prompt");
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model is required: a model directory or org/name");
        }
        if (data.train() == null) {
            throw new IllegalArgumentException("data.train is required");
        }
        if (task.equals("classify") && data.tasks().isEmpty()) {
            throw new IllegalArgumentException("data.tasks must name at least one label field to learn, e.g. [queue]");
        }
        if (task.equals("dpo") && !method.equals("lora") && !method.equals("qlora")) {
            throw new IllegalArgumentException("task dpo trains a LoRA adapter (the reference is the base with the adapter off):"
                    + " method must be lora or qlora, got '" + method + "'");
        }
        if (task.equals("dpo") && sft.truncation().equals("sliding_window")) {
            throw new IllegalArgumentException("sft.truncation sliding_window applies to task sft only: a DPO pair needs one prompt "
                    + "for both replies; use latest_turns");
        }
        if (!task.equals("classify") && method.equals("prompt") && sft.packing()) {
            throw new IllegalArgumentException("sft.packing does not work with method prompt: the virtual tokens belong before "
                    + "each example, not before a packed row; turn sft.packing off");
        }
        if (threads < 0 || checkpointEvery < 1) {
            throw new IllegalArgumentException("threads must be at least 0 and checkpoint_every at least 1");
        }
    }

    private static void oneOf(String key, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw new IllegalArgumentException(key + " must be one of " + List.of(allowed) + ", got '" + value + "'");
    }

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER))
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Loads defaults, then {@code file} (may be null), then each {@code key.path=value} override. */
    public static TrainConfig load(Path file, List<String> overrides) throws IOException {
        ObjectNode tree = defaults();
        if (file != null) {
            JsonNode user = YAML.readTree(file.toFile());
            if (user == null || user.isMissingNode() || user.isNull()) {
                user = YAML.createObjectNode();
            }
            if (!user.isObject()) {
                throw new IllegalArgumentException(file + ": a training config is a YAML mapping");
            }
            merge(tree, (ObjectNode) user, file.toString(), "");
        }
        for (String o : overrides) {
            override(tree, o);
        }
        return bind(tree, file == null ? "config" : file.toString());
    }

    /** Reads a saved, resolved config (a run's {@code config.yaml}). */
    public static TrainConfig read(Path resolved) throws IOException {
        ObjectNode tree = defaults();
        merge(tree, (ObjectNode) YAML.readTree(resolved.toFile()), resolved.toString(), "");
        return bind(tree, resolved.toString());
    }

    private static ObjectNode defaults() throws IOException {
        try (InputStream in = TrainConfig.class.getResourceAsStream("defaults.yaml")) {
            return (ObjectNode) YAML.readTree(in);
        }
    }

    /** Merges {@code user} into {@code base}; keys absent from the defaults are errors (maps under data-free keys excepted). */
    private static void merge(ObjectNode base, ObjectNode user, String source, String prefix) {
        Iterator<Map.Entry<String, JsonNode>> fields = user.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String key = prefix + e.getKey();
            JsonNode current = base.get(e.getKey());
            if (current == null) {
                throw new IllegalArgumentException(source + ": unknown key '" + key + "' (known here: " + names(base) + ")");
            }
            if (current.isObject() && e.getValue().isObject() && !key.equals("classifier.task_weights")) {
                merge((ObjectNode) current, (ObjectNode) e.getValue(), source, key + ".");
            } else {
                base.set(e.getKey(), e.getValue());
            }
        }
    }

    private static List<String> names(ObjectNode node) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** {@code optim.learning_rate=1e-3}: the value is parsed as YAML, so lists ({@code [a, b]}) work. */
    private static void override(ObjectNode tree, String assignment) throws IOException {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("override '" + assignment + "' is not key.path=value");
        }
        String[] path = assignment.substring(0, eq).trim().split("\\.");
        JsonNode value = YAML.readTree(assignment.substring(eq + 1));
        ObjectNode node = tree;
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < path.length; i++) {
            if (!node.has(path[i]) && !seen.toString().equals("classifier.task_weights.")) {
                throw new IllegalArgumentException("override '" + assignment + "': unknown key '" + seen + path[i]
                        + "' (known here: " + names(node) + ")");
            }
            if (i == path.length - 1) {
                node.set(path[i], value == null || value.isMissingNode() ? YAML.nullNode() : value);
            } else {
                JsonNode child = node.get(path[i]);
                if (child == null || !child.isObject()) {
                    throw new IllegalArgumentException("override '" + assignment + "': '" + seen + path[i] + "' is not a section");
                }
                node = (ObjectNode) child;
                seen.append(path[i]).append('.');
            }
        }
    }

    private static TrainConfig bind(ObjectNode tree, String source) throws IOException {
        try {
            return YAML.treeToValue(tree, TrainConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(source + ": unknown key '" + e.getPropertyName() + "'");
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(source + ": " + cause.getMessage());
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                    .reduce((a, b) -> a + "." + b).orElse("?");
            throw new IllegalArgumentException(source + ": '" + path + "' has the wrong type (" + e.getOriginalMessage() + ")");
        }
    }

    /** The resolved configuration as YAML, to print and to save with the run. */
    public String toYaml() {
        try {
            return YAML.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public TrainConfig withRunId(String id) {
        return new TrainConfig(task, model, method, seed, threads, outputDir, id, data, classifier, lora, quantization,
                prompt, optim, eval, checkpointEvery, sft, dpo, train);
    }
}
