package io.supportlm.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Backbone;
import io.supportlm.model.BackboneQuantizer;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.LoraLinear;
import io.supportlm.peft.PromptTuning;
import io.supportlm.model.bert.BertEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuned classifier on disk, in the PEFT layout so that Python's PEFT can read the adapter:
 * <ul>
 *   <li>{@code adapter_config.json}: {@code peft_type LORA}, {@code task_type SEQ_CLS}, r, alpha,
 *       dropout, target modules, {@code modules_to_save: ["classifier"]};</li>
 *   <li>{@code adapter_model.safetensors}: {@code base_model.model.<prefix><module>.lora_A.weight}
 *       ({@code [r, in]}) and {@code .lora_B.weight} ({@code [out, r]}), where the prefix is the
 *       task model's name for the backbone ({@code bert.} for BERT), and the heads: for one task
 *       {@code base_model.model.classifier.weight/bias} as transformers names them, for several
 *       {@code base_model.model.classifier.<task>.weight/bias};</li>
 *   <li>for prompt tuning instead: {@code peft_type PROMPT_TUNING} with {@code num_virtual_tokens},
 *       {@code token_dim}, {@code prompt_tuning_init} and its text, and the one tensor
 *       {@code prompt_embeddings} ({@code [num_virtual_tokens, token_dim]}) beside the heads;</li>
 *   <li>{@code supportlm.json}: tasks and their labels, pooling, head dropout, maximum length —
 *       what turns the tensors back into the same classifier.</li>
 * </ul>
 * Files are written to a temporary directory and moved into place, so a checkpoint is either
 * complete or absent. Unknown keys in {@code adapter_config.json} are ignored, as PEFT does.
 */
public final class ClassifierCheckpoint {
    private ClassifierCheckpoint() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final String ADAPTER_CONFIG = "adapter_config.json";
    public static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    public static final String SUPPORTLM_JSON = "supportlm.json";

    /** What {@code supportlm.json} records. */
    public record Meta(String baseModel, String modelType, List<ClassificationTask> tasks, Pooling.Mode pooling,
                       float headDropout, int maxLength, String method, int quantizationBits) {
        /** The storage a QLoRA adapter was trained against (its base must be quantized the same way), or null. */
        public QuantScheme quantization() {
            return !method.equals("qlora") ? null : quantizationBits == 8 ? QuantScheme.INT8 : QuantScheme.NF4;
        }
    }

    static String backbonePrefix(String modelType) {
        return modelType.equals("bert") ? "bert." : "";
    }

    public static void save(Path dir, MultiTaskClassifier classifier, LoraAdapter lora, Meta meta) throws IOException {
        String prefix = "base_model.model." + backbonePrefix(meta.modelType());
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, LoraLinear> e : lora.layers().entrySet()) {
            LoraLinear l = e.getValue();
            w.add(prefix + e.getKey() + ".lora_A.weight", l.a(), l.rank(), l.inFeatures());
            w.add(prefix + e.getKey() + ".lora_B.weight", l.b(), l.outFeatures(), l.rank());
        }

        LoraConfig lc = lora.config();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", "LORA");
        config.put("task_type", "SEQ_CLS");
        config.put("base_model_name_or_path", meta.baseModel());
        config.put("revision", null);
        config.put("inference_mode", true);
        config.put("r", lc.r());
        config.put("lora_alpha", lc.alpha());
        config.put("lora_dropout", lc.dropout());
        config.put("target_modules", lc.targetRegex() ? lc.targetModules().get(0) : lc.targetModules());
        config.put("bias", "none");
        config.put("use_rslora", lc.useRslora());
        config.put("use_dora", false);
        config.put("fan_in_fan_out", false);
        config.put("init_lora_weights", true);
        config.put("modules_to_save", List.of("classifier"));
        config.put("peft_version", "0.17.0");
        write(dir, classifier, w, config, meta);
    }

    /**
     * Saves a prompt-tuned classifier: {@code peft_type PROMPT_TUNING} with PEFT's fields, the
     * tensor {@code prompt_embeddings} ({@code [num_virtual_tokens, token_dim]}) and the heads.
     */
    public static void save(Path dir, MultiTaskClassifier classifier, PromptTuning prompt, Meta meta) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        w.add(PromptTuning.TENSOR, prompt.embeddings(), prompt.numVirtualTokens(), prompt.tokenDim());
        PromptTuning.Config pc = prompt.config();
        boolean text = pc.init() == PromptTuning.Init.TEXT;
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", "PROMPT_TUNING");
        config.put("task_type", "SEQ_CLS");
        config.put("base_model_name_or_path", meta.baseModel());
        config.put("revision", null);
        config.put("inference_mode", true);
        config.put("num_virtual_tokens", pc.numVirtualTokens());
        config.put("token_dim", prompt.tokenDim());
        config.put("num_transformer_submodules", 1);
        config.put("prompt_tuning_init", pc.init().name());
        config.put("prompt_tuning_init_text", text ? pc.initText() : null);
        config.put("tokenizer_name_or_path", text ? meta.baseModel() : null);
        config.put("modules_to_save", List.of("classifier"));
        config.put("peft_version", "0.17.0");
        write(dir, classifier, w, config, meta);
    }

    /** Adds the heads to the adapter tensors and writes the three files, atomically. */
    private static void write(Path dir, MultiTaskClassifier classifier, SafetensorsWriter w, Map<String, Object> config,
                              Meta meta) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".");
        boolean single = classifier.heads().size() == 1;
        int C = classifier.backbone().hiddenSize();
        for (MultiTaskClassifier.Head h : classifier.heads()) {
            String name = "base_model.model.classifier" + (single ? "" : "." + h.task().name());
            w.add(name + ".weight", h.weight(), h.task().numLabels(), C);
            w.add(name + ".bias", h.bias(), h.task().numLabels());
        }
        w.write(tmp.resolve(ADAPTER_WEIGHTS));
        JSON.writeValue(tmp.resolve(ADAPTER_CONFIG).toFile(), config);

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_model", meta.baseModel());
        m.put("model_type", meta.modelType());
        m.put("method", meta.method());
        m.put("quantization_bits", meta.quantizationBits());
        m.put("pooling", meta.pooling().name().toLowerCase());
        m.put("head_dropout", meta.headDropout());
        m.put("max_length", meta.maxLength());
        List<Map<String, Object>> tasks = new ArrayList<>();
        for (ClassificationTask t : meta.tasks()) {
            Map<String, Object> tm = new LinkedHashMap<>();
            tm.put("name", t.name());
            tm.put("labels", t.labels());
            tm.put("loss_weight", t.lossWeight());
            tasks.add(tm);
        }
        m.put("tasks", tasks);
        JSON.writeValue(tmp.resolve(SUPPORTLM_JSON).toFile(), m);

        if (Files.exists(dir)) {
            Path old = parent.resolve("." + dir.getFileName() + ".old");
            deleteTree(old);
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } else {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    public static Meta readMeta(Path dir) throws IOException {
        Path file = dir.resolve(SUPPORTLM_JSON);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(dir + ": not a supportlm classifier (no " + SUPPORTLM_JSON + ")");
        }
        JsonNode m = JSON.readTree(file.toFile());
        List<ClassificationTask> tasks = new ArrayList<>();
        for (JsonNode t : m.path("tasks")) {
            List<String> labels = new ArrayList<>();
            t.path("labels").forEach(l -> labels.add(l.asText()));
            tasks.add(new ClassificationTask(t.path("name").asText(), labels, (float) t.path("loss_weight").asDouble(1), null));
        }
        return new Meta(m.path("base_model").asText(), m.path("model_type").asText(), tasks,
                Pooling.Mode.valueOf(m.path("pooling").asText("cls").toUpperCase()), (float) m.path("head_dropout").asDouble(0.1),
                m.path("max_length").asInt(128), m.path("method").asText("lora"), m.path("quantization_bits").asInt(0));
    }

    /**
     * Rebuilds the classifier saved in {@code dir} on {@code backbone} (the same base model):
     * quantizes the base as during training when the adapter is a QLoRA one, attaches the LoRA
     * layers with their trained matrices, or puts the trained virtual tokens before the encoder's
     * input for prompt tuning, and restores the heads.
     */
    public static Loaded load(Path dir, Backbone backbone) throws IOException {
        Meta meta = readMeta(dir);
        JsonNode config = JSON.readTree(dir.resolve(ADAPTER_CONFIG).toFile());
        String peftType = config.path("peft_type").asText();
        if (peftType.equals("PROMPT_TUNING")) {
            return loadPromptTuning(dir, backbone, meta, config);
        }
        if (!peftType.equals("LORA")) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_CONFIG) + ": peft_type '" + peftType
                    + "' is not supported here (LORA, PROMPT_TUNING)");
        }
        int r = config.path("r").asInt();
        float alpha = (float) config.path("lora_alpha").asDouble();
        boolean rslora = config.path("use_rslora").asBoolean(false);
        List<String> targets = new ArrayList<>();
        boolean regex = config.path("target_modules").isTextual();
        if (regex) {
            targets.add(config.path("target_modules").asText());
        } else {
            config.path("target_modules").forEach(t -> targets.add(t.asText()));
        }
        LoraConfig lc = new LoraConfig(r, alpha, (float) config.path("lora_dropout").asDouble(0), targets, regex, rslora);
        String prefix = "base_model.model." + backbonePrefix(meta.modelType());
        if (meta.quantization() != null) {
            BackboneQuantizer.quantizeInPlace(backbone, meta.quantization()); // as during training
        }
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(ADAPTER_WEIGHTS))) {
            LoraAdapter lora = LoraAdapter.attach(backbone, lc, 0);
            for (Map.Entry<String, LoraLinear> e : lora.layers().entrySet()) {
                LoraLinear l = e.getValue();
                copy(weights, prefix + e.getKey() + ".lora_A.weight", l.a(), dir);
                copy(weights, prefix + e.getKey() + ".lora_B.weight", l.b(), dir);
            }
            int C = backbone.hiddenSize();
            List<MultiTaskClassifier.Head> heads = readHeads(weights, meta, C, dir);
            return new Loaded(meta, new MultiTaskClassifier(backbone, meta.pooling(), meta.headDropout(), heads), lora, null);
        }
    }

    private static Loaded loadPromptTuning(Path dir, Backbone backbone, Meta meta, JsonNode config) throws IOException {
        Path configFile = dir.resolve(ADAPTER_CONFIG);
        if (!(backbone instanceof BertEncoder encoder)) {
            throw new IllegalArgumentException(configFile + ": prompt tuning is supported for BERT encoders, this model is "
                    + backbone.modelType());
        }
        int n = config.path("num_virtual_tokens").asInt(0);
        int tokenDim = config.path("token_dim").asInt(0);
        int submodules = config.path("num_transformer_submodules").asInt(1);
        if (submodules != 1) {
            throw new IllegalArgumentException(configFile + ": num_transformer_submodules " + submodules
                    + " is not supported (1, an encoder)");
        }
        if (tokenDim != backbone.hiddenSize()) {
            throw new IllegalArgumentException(configFile + ": token_dim " + tokenDim + " differs from the model's hidden size "
                    + backbone.hiddenSize());
        }
        String init = config.path("prompt_tuning_init").asText("RANDOM");
        if (!init.equals("RANDOM") && !init.equals("TEXT")) {
            throw new IllegalArgumentException(configFile + ": prompt_tuning_init '" + init + "' is not supported (RANDOM, TEXT)");
        }
        JsonNode text = config.path("prompt_tuning_init_text");
        PromptTuning.Config pc = new PromptTuning.Config(n, PromptTuning.Init.valueOf(init), text.isTextual() ? text.asText() : null);
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(ADAPTER_WEIGHTS))) {
            float[] embeddings = new float[n * tokenDim];
            copy(weights, PromptTuning.TENSOR, embeddings, dir);
            PromptTuning prompt = PromptTuning.of(pc, tokenDim, embeddings);
            List<MultiTaskClassifier.Head> heads = readHeads(weights, meta, tokenDim, dir);
            return new Loaded(meta, new MultiTaskClassifier(prompt.wrap(encoder), meta.pooling(), meta.headDropout(), heads),
                    null, prompt);
        }
    }

    private static List<MultiTaskClassifier.Head> readHeads(SafetensorsFile weights, Meta meta, int C, Path dir) {
        boolean single = meta.tasks().size() == 1;
        List<MultiTaskClassifier.Head> heads = new ArrayList<>();
        for (ClassificationTask t : meta.tasks()) {
            String name = "base_model.model.classifier" + (single ? "" : "." + t.name());
            float[] w = new float[t.numLabels() * C];
            float[] b = new float[t.numLabels()];
            copy(weights, name + ".weight", w, dir);
            copy(weights, name + ".bias", b, dir);
            heads.add(MultiTaskClassifier.head(t, w, b, C));
        }
        return heads;
    }

    /**
     * A classifier read back from disk, with its adapter: {@code lora} for LoRA and QLoRA,
     * {@code prompt} for prompt tuning (the other null).
     */
    public record Loaded(Meta meta, MultiTaskClassifier classifier, LoraAdapter lora, PromptTuning prompt) {}

    private static void copy(SafetensorsFile file, String name, float[] into, Path dir) {
        if (!file.contains(name)) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": missing tensor '" + name + "'");
        }
        float[] values = file.tensor(name).toFloatArray();
        if (values.length != into.length) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": tensor '" + name + "' has " + values.length
                    + " values, the model needs " + into.length);
        }
        System.arraycopy(values, 0, into, 0, into.length);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var files = Files.walk(p)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
