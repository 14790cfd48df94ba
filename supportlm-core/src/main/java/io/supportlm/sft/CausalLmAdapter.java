package io.supportlm.sft;

import io.supportlm.generate.Generator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.BackboneQuantizer;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.KvCache;
import io.supportlm.peft.DropoutSchedule;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.LoraLinear;
import io.supportlm.peft.PromptTuning;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.train.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A reply-generation adapter on disk, in PEFT's causal-LM layout, and the one place that loads it
 * onto a decoder.
 *
 * <ul>
 *   <li>{@code adapter_config.json}: {@code task_type CAUSAL_LM}; {@code peft_type LORA} with r,
 *       lora_alpha, lora_dropout, use_rslora and the adapted module names as
 *       {@code target_modules}, or {@code peft_type PROMPT_TUNING} with num_virtual_tokens,
 *       token_dim, prompt_tuning_init (+ text);</li>
 *   <li>{@code adapter_model.safetensors}: {@code base_model.model.<module>.lora_A.weight}
 *       ({@code [r, in]}) and {@code .lora_B.weight} ({@code [out, r]}) with the module names of
 *       the checkpoint ({@code model.layers.0.self_attn.q_proj}, {@code lm_head}); or
 *       {@code prompt_embeddings} ({@code [num_virtual_tokens, token_dim]});</li>
 *   <li>{@code supportlm.json}: base model, method, quantization bits (QLoRA: the base must be
 *       quantized the same way to reproduce training), max length, whether prompts go through the
 *       chat template (else the plain format), the system prompt used in training, and the stop
 *       token ids the replies were trained to end with.</li>
 * </ul>
 *
 * <p>For generation: {@code CausalLmAdapter a = CausalLmAdapter.load(dir, model);} then use the
 * model as usual — LoRA (and QLoRA's quantization) is attached to it in place — except that a
 * prompt-tuned adapter's virtual tokens must come first: start every sequence with
 * {@link #prefill} instead of {@code model.prefill}, and give the cache
 * {@link #virtualTokens()} more positions.
 */
public final class CausalLmAdapter implements Generator.Prefix {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    public static final String ADAPTER_CONFIG = "adapter_config.json";
    public static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";
    public static final String SUPPORTLM_JSON = "supportlm.json";
    static final String PREFIX = "base_model.model.";

    /**
     * What {@code supportlm.json} records.
     *
     * @param method lora, qlora or prompt
     * @param quantizationBits 4 or 8 for qlora, else 0
     * @param chatTemplate whether training rendered conversations with the model's chat template
     *     (false: the plain format of {@code ChatFormat.Plain}, for a model without one)
     * @param systemPrompt the system prompt added in training (null: none); inference puts it first too
     * @param stopIds the token ids that ended the trained replies (EOS, the generation config's
     *     eos_token_ids, sft.stop_tokens); generation stops on them (empty: unknown, the model's own)
     */
    public record Meta(String baseModel, String modelType, String method, int quantizationBits, int maxLength,
                       boolean chatTemplate, String systemPrompt, List<Integer> stopIds) {
        public Meta {
            stopIds = stopIds == null ? List.of() : List.copyOf(stopIds);
            if (!List.of("lora", "qlora", "prompt").contains(method)) {
                throw new IllegalArgumentException(SUPPORTLM_JSON + ": method must be lora, qlora or prompt, got '" + method + "'");
            }
            if (method.equals("qlora") && quantizationBits != 4 && quantizationBits != 8) {
                throw new IllegalArgumentException(SUPPORTLM_JSON + ": qlora needs quantization_bits 4 or 8, got " + quantizationBits);
            }
        }

        /** The storage a QLoRA adapter was trained against, or null. */
        public QuantScheme quantization() {
            return !method.equals("qlora") ? null : quantizationBits == 8 ? QuantScheme.INT8 : QuantScheme.NF4;
        }
    }

    private final Meta meta;
    private final DecoderModel model;
    private final LoraAdapter lora;
    private final PromptTuning prompt;
    private final Map<String, FrozenLinear> originals;

    private CausalLmAdapter(Meta meta, DecoderModel model, LoraAdapter lora, PromptTuning prompt,
                            Map<String, FrozenLinear> originals) {
        this.meta = meta;
        this.model = model;
        this.lora = lora;
        this.prompt = prompt;
        this.originals = originals;
    }

    public Meta meta() {
        return meta;
    }

    /** The LoRA layers now inside the model, or null for prompt tuning. */
    public LoraAdapter lora() {
        return lora;
    }

    /** The virtual tokens, or null for LoRA. */
    public PromptTuning prompt() {
        return prompt;
    }

    /** Virtual tokens every sequence starts with (0 for LoRA). */
    public int virtualTokens() {
        return prompt == null ? 0 : prompt.numVirtualTokens();
    }

    /** The cache positions before every prompt: {@link #virtualTokens}. */
    @Override
    public int length() {
        return virtualTokens();
    }

    /** The linear layers as they were before loading (what a merge folds the adapter into), by module name. */
    public Map<String, FrozenLinear> originals() {
        return originals;
    }

    /**
     * Empties the cache and runs the virtual tokens (if any), then {@code tokens}; returns the
     * logits (V) after the last token. Decode on with {@code model.decode(cache, token)}.
     */
    @Override
    public float[] prefill(KvCache cache, int[] tokens) {
        cache.reset();
        if (prompt != null) {
            model.extendEmbeddings(cache, prompt.embeddings(), prompt.numVirtualTokens());
        }
        return model.extend(cache, tokens);
    }

    // ------------------------------------------------------------------------------------ save

    /** Saves a LoRA adapter (method lora or qlora in meta). */
    public static void save(Path dir, LoraAdapter lora, Meta meta) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        TreeSet<String> targets = new TreeSet<>();
        for (Map.Entry<String, LoraLinear> e : lora.layers().entrySet()) {
            LoraLinear l = e.getValue();
            w.add(PREFIX + e.getKey() + ".lora_A.weight", l.a(), l.rank(), l.inFeatures());
            w.add(PREFIX + e.getKey() + ".lora_B.weight", l.b(), l.outFeatures(), l.rank());
            targets.add(e.getKey().substring(e.getKey().lastIndexOf('.') + 1));
        }
        LoraConfig lc = lora.config();
        Map<String, Object> config = common("LORA", meta);
        config.put("r", lc.r());
        config.put("lora_alpha", lc.alpha());
        config.put("lora_dropout", lc.dropout());
        config.put("target_modules", new ArrayList<>(targets)); // as PEFT stores "all-linear" once resolved
        config.put("bias", "none");
        config.put("use_rslora", lc.useRslora());
        config.put("use_dora", false);
        config.put("fan_in_fan_out", false);
        config.put("init_lora_weights", true);
        config.put("modules_to_save", null);
        write(dir, w, config, meta);
    }

    /** Saves prompt-tuning virtual tokens (method prompt in meta). */
    public static void save(Path dir, PromptTuning prompt, Meta meta) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        w.add(PromptTuning.TENSOR, prompt.embeddings(), prompt.numVirtualTokens(), prompt.tokenDim());
        PromptTuning.Config pc = prompt.config();
        boolean text = pc.init() == PromptTuning.Init.TEXT;
        Map<String, Object> config = common("PROMPT_TUNING", meta);
        config.put("num_virtual_tokens", pc.numVirtualTokens());
        config.put("token_dim", prompt.tokenDim());
        config.put("num_transformer_submodules", 1);
        config.put("prompt_tuning_init", pc.init().name());
        config.put("prompt_tuning_init_text", text ? pc.initText() : null);
        config.put("tokenizer_name_or_path", text ? meta.baseModel() : null);
        write(dir, w, config, meta);
    }

    private static Map<String, Object> common(String peftType, Meta meta) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", peftType);
        config.put("task_type", "CAUSAL_LM");
        config.put("base_model_name_or_path", meta.baseModel());
        config.put("revision", null);
        config.put("inference_mode", true);
        config.put("peft_version", "0.17.0");
        return config;
    }

    /** Writes into a temporary sibling and swaps it in: the directory is complete or absent. */
    private static void write(Path dir, SafetensorsWriter w, Map<String, Object> config, Meta meta) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dir.getFileName() + ".tmp");
        RunFiles.deleteTree(tmp);
        Files.createDirectories(tmp);
        w.write(tmp.resolve(ADAPTER_WEIGHTS));
        JSON.writeValue(tmp.resolve(ADAPTER_CONFIG).toFile(), config);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base_model", meta.baseModel());
        m.put("model_type", meta.modelType());
        m.put("task", "causal_lm");
        m.put("method", meta.method());
        m.put("quantization_bits", meta.quantizationBits());
        m.put("max_length", meta.maxLength());
        m.put("chat_template", meta.chatTemplate());
        m.put("system_prompt", meta.systemPrompt());
        m.put("stop_ids", meta.stopIds());
        JSON.writeValue(tmp.resolve(SUPPORTLM_JSON).toFile(), m);
        if (Files.exists(dir)) {
            Path old = parent.resolve("." + dir.getFileName() + ".old");
            RunFiles.deleteTree(old);
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            RunFiles.deleteTree(old);
        } else {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    // ------------------------------------------------------------------------------------ load

    /**
     * What the adapter in {@code dir} was trained as: {@code supportlm.json}, or for an adapter
     * PEFT wrote (Python's, which has only {@code adapter_config.json}) what that file tells: the
     * base model's name, LoRA or prompt tuning, the chat template assumed and no system prompt.
     */
    public static Meta readMeta(Path dir) throws IOException {
        Path file = dir.resolve(SUPPORTLM_JSON);
        if (!Files.isRegularFile(file)) {
            Path peft = dir.resolve(ADAPTER_CONFIG);
            if (!Files.isRegularFile(peft)) {
                throw new IllegalArgumentException(dir + ": not a PEFT adapter (no " + ADAPTER_CONFIG + ")");
            }
            JsonNode c = JSON.readTree(peft.toFile());
            String method = switch (c.path("peft_type").asText()) {
                case "LORA" -> "lora";
                case "PROMPT_TUNING" -> "prompt";
                default -> throw new IllegalArgumentException(peft + ": peft_type '" + c.path("peft_type").asText()
                        + "' is not supported (LORA, PROMPT_TUNING)");
            };
            return new Meta(c.path("base_model_name_or_path").asText(""), "", method, 0, 0, true, null, List.of());
        }
        JsonNode m = JSON.readTree(file.toFile());
        if (!m.path("task").asText("").equals("causal_lm")) {
            throw new IllegalArgumentException(file + ": task is '" + m.path("task").asText("") + "', expected causal_lm"
                    + " (a classifier adapter is loaded with ClassifierCheckpoint)");
        }
        List<Integer> stopIds = new ArrayList<>();
        for (JsonNode id : m.path("stop_ids")) {
            if (!id.canConvertToInt()) {
                throw new IllegalArgumentException(file + ": stop_ids must hold token ids, got " + id);
            }
            stopIds.add(id.asInt());
        }
        return new Meta(m.path("base_model").asText(), m.path("model_type").asText(), m.path("method").asText(),
                m.path("quantization_bits").asInt(), m.path("max_length").asInt(), m.path("chat_template").asBoolean(true),
                m.path("system_prompt").isTextual() ? m.path("system_prompt").asText() : null, stopIds);
    }

    /**
     * Loads the adapter in {@code dir} onto {@code model} (a fresh base: nothing attached yet). LoRA
     * layers replace the model's linear layers in place — after quantizing the base first when the
     * adapter was trained with QLoRA — so the model generates with the adapter from then on.
     */
    public static CausalLmAdapter load(Path dir, DecoderModel model) throws IOException {
        Meta meta = readMeta(dir);
        if (!meta.modelType().isEmpty() && !meta.modelType().equals(model.config().family().modelType)) {
            throw new IllegalArgumentException(dir + ": adapter trained on a " + meta.modelType() + " model, this base is "
                    + model.config().family().modelType);
        }
        JsonNode config = JSON.readTree(dir.resolve(ADAPTER_CONFIG).toFile());
        String peftType = config.path("peft_type").asText();
        if (!config.path("task_type").asText("CAUSAL_LM").equals("CAUSAL_LM")) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_CONFIG) + ": task_type is " + config.path("task_type").asText()
                    + ", expected CAUSAL_LM");
        }
        Map<String, FrozenLinear> originals = new LinkedHashMap<>();
        for (Map.Entry<String, LinearLayer> e : model.linearLayers().entrySet()) {
            if (e.getValue() instanceof FrozenLinear f) {
                originals.put(e.getKey(), f);
            }
        }
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(ADAPTER_WEIGHTS))) {
            return switch (peftType) {
                case "LORA" -> new CausalLmAdapter(meta, model, loadLora(dir, config, weights, model, meta), null, originals);
                case "PROMPT_TUNING" -> new CausalLmAdapter(meta, model, null, loadPrompt(dir, config, weights, model), originals);
                default -> throw new IllegalArgumentException(dir.resolve(ADAPTER_CONFIG) + ": peft_type '" + peftType
                        + "' is not supported (LORA, PROMPT_TUNING)");
            };
        }
    }

    private static LoraAdapter loadLora(Path dir, JsonNode config, SafetensorsFile weights, DecoderModel model, Meta meta) {
        Path cfg = dir.resolve(ADAPTER_CONFIG);
        if (config.path("use_dora").asBoolean(false)) {
            throw new IllegalArgumentException(cfg + ": DoRA adapters (use_dora) are not supported");
        }
        for (String key : List.of("rank_pattern", "alpha_pattern")) {
            if (config.path(key).isObject() && !config.path(key).isEmpty()) {
                throw new IllegalArgumentException(cfg + ": per-module " + key + " is not supported");
            }
        }
        int r = config.path("r").asInt(8);
        float alpha = (float) config.path("lora_alpha").asDouble(8);
        boolean rslora = config.path("use_rslora").asBoolean(false);
        LoraConfig lc = new LoraConfig(r, alpha, (float) config.path("lora_dropout").asDouble(0), List.of("all-linear"), false, rslora);
        if (meta.quantization() != null) {
            BackboneQuantizer.quantizeInPlace(new DecoderBackbone(model), meta.quantization());
        }
        Map<String, LinearLayer> layers = model.linearLayers();
        Map<String, String> aNames = new LinkedHashMap<>(); // module → its lora_A tensor
        for (String name : weights.names()) {
            if (!name.endsWith(".lora_A.weight")) {
                if (!name.endsWith(".lora_B.weight")) {
                    throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": unexpected tensor '" + name
                            + "' (a LoRA adapter holds <module>.lora_A.weight and .lora_B.weight)");
                }
                continue;
            }
            String module = name.substring(0, name.length() - ".lora_A.weight".length());
            if (module.startsWith(PREFIX)) {
                module = module.substring(PREFIX.length());
            }
            if (!layers.containsKey(module)) {
                throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": tensor '" + name + "' adapts module '" + module
                        + "', which this " + model.config().family().modelType + " model does not have");
            }
            aNames.put(module, name);
        }
        if (aNames.isEmpty()) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": no lora_A tensors");
        }
        DropoutSchedule schedule = new DropoutSchedule();
        Map<String, LoraLinear> adapted = new LinkedHashMap<>();
        long site = 0;
        // in the model's module order, as LoraAdapter.attach numbers its dropout sites: a resumed run draws the same masks
        for (Map.Entry<String, LinearLayer> e : layers.entrySet()) {
            String name = aNames.get(e.getKey());
            if (name == null) {
                continue;
            }
            String bName = name.substring(0, name.length() - "lora_A.weight".length()) + "lora_B.weight";
            if (!weights.names().contains(bName)) {
                throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": '" + name + "' has no partner '" + bName + "'");
            }
            float[] a = weights.tensor(name).toFloatArray();
            float[] b = weights.tensor(bName).toFloatArray();
            int rank = weights.tensor(name).dim(0);
            float scale = rslora ? (float) (alpha / Math.sqrt(rank)) : alpha / rank;
            LoraLinear l = new LoraLinear(e.getValue(), rank, scale, lc.dropout(), schedule, site++, a, b);
            model.replaceLinear(e.getKey(), l);
            adapted.put(e.getKey(), l);
        }
        return LoraAdapter.of(lc, schedule, adapted);
    }

    private static PromptTuning loadPrompt(Path dir, JsonNode config, SafetensorsFile weights, DecoderModel model) {
        if (!weights.names().contains(PromptTuning.TENSOR)) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": no '" + PromptTuning.TENSOR + "' tensor");
        }
        var t = weights.tensor(PromptTuning.TENSOR);
        int n = config.path("num_virtual_tokens").asInt(t.dim(0));
        int C = model.config().hiddenSize();
        if (t.shape().rank() != 2 || t.dim(0) != n || t.dim(1) != C) {
            throw new IllegalArgumentException(dir.resolve(ADAPTER_WEIGHTS) + ": " + PromptTuning.TENSOR + " is " + t.shape()
                    + ", expected [" + n + ", " + C + "] (num_virtual_tokens × the model's hidden size)");
        }
        String init = config.path("prompt_tuning_init").asText("RANDOM");
        PromptTuning.Init kind = init.equals("TEXT") ? PromptTuning.Init.TEXT : PromptTuning.Init.RANDOM;
        String text = kind == PromptTuning.Init.TEXT ? config.path("prompt_tuning_init_text").asText() : null;
        return PromptTuning.of(new PromptTuning.Config(n, kind, text), C, t.toFloatArray());
    }
}
