package io.supportlm.server.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A causal-LM LoRA adapter in Hugging Face PEFT's layout, as the server reads it: {@code
 * adapter_config.json} ({@code peft_type: LORA}, {@code task_type: CAUSAL_LM}) and {@code
 * adapter_model.safetensors} with {@code base_model.model.<module>.lora_A.weight} ({@code [r, in]})
 * and {@code .lora_B.weight} ({@code [out, r]}). The tensors say which modules are adapted; each
 * module's scale is {@code alpha / r} ({@code alpha / √r} with rsLoRA), with PEFT's per-module
 * {@code rank_pattern} and {@code alpha_pattern}. Variants that change the computation (DoRA,
 * {@code fan_in_fan_out}, trained biases, saved modules) are refused by name rather than served
 * wrongly.
 *
 * @param modules by module name as the model names its linear layers ({@code model.layers.0.self_attn.q_proj})
 */
public record PeftLora(Path dir, Map<String, Module> modules) {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One adapted linear layer: {@code y += scale · (x·Aᵀ)·Bᵀ}, A {@code (rank, in)}, B {@code (out, rank)} in f32. */
    public record Module(int rank, float scale, float[] a, float[] b) {
        public int inFeatures() {
            return a.length / rank;
        }

        public int outFeatures() {
            return b.length / rank;
        }
    }

    /**
     * A new model over {@code base}'s weights (shared, not copied) whose adapted linear layers add
     * this adapter's update; {@code base} itself is untouched, so base requests are unaffected.
     */
    public DecoderModel over(DecoderModel base) {
        DecoderModel adapted = new DecoderModel(base.config(), base.weights());
        Map<String, LinearLayer> layers = adapted.linearLayers();
        for (Map.Entry<String, Module> e : modules.entrySet()) {
            LinearLayer layer = layers.get(e.getKey());
            if (layer == null) {
                throw new IllegalArgumentException(dir.resolve(WEIGHTS) + ": module '" + e.getKey() + "' is not a linear layer of this "
                        + base.config().family().modelType + " model (its layers are named like " + layers.keySet().iterator().next() + ")");
            }
            adapted.replaceLinear(e.getKey(), new LoraDelta(layer, e.getValue(), dir.resolve(WEIGHTS) + ": " + e.getKey()));
        }
        return adapted;
    }

    public static PeftLora read(Path dir) {
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
            throw new IllegalArgumentException(dir + ": a PEFT adapter directory holds " + CONFIG + " and " + WEIGHTS);
        }
        JsonNode config;
        try {
            config = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(configFile + ": not valid JSON: " + e.getMessage(), e);
        }
        require(config.path("peft_type").asText("").equals("LORA"), configFile, "peft_type",
                "is '" + config.path("peft_type").asText() + "'; only LORA adapters are served for generation");
        String task = config.path("task_type").asText("CAUSAL_LM");
        require(task.equals("CAUSAL_LM"), configFile, "task_type", "is '" + task + "'; generation serves CAUSAL_LM adapters");
        require(!config.path("use_dora").asBoolean(false), configFile, "use_dora", "is true; DoRA adapters are not served");
        require(!config.path("fan_in_fan_out").asBoolean(false), configFile, "fan_in_fan_out", "is true; only [out, in] linear layers are served");
        require(config.path("bias").asText("none").equals("none"), configFile, "bias",
                "is '" + config.path("bias").asText() + "'; adapters with trained biases are not served");
        int r = config.path("r").asInt(0);
        require(r >= 1, configFile, "r", "must be a positive integer, got " + config.path("r"));
        require(config.path("lora_alpha").isNumber(), configFile, "lora_alpha", "must be a number, got " + config.path("lora_alpha"));
        float alpha = (float) config.path("lora_alpha").asDouble();
        boolean rslora = config.path("use_rslora").asBoolean(false);
        Map<String, Module> modules = new TreeMap<>(); // in name order; the file's order carries no meaning
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            Map<String, Tensor> as = new LinkedHashMap<>();
            Map<String, Tensor> bs = new LinkedHashMap<>();
            for (String name : weights.names()) {
                String module = moduleOf(name, ".lora_A.weight");
                if (module != null) {
                    as.put(module, weights.tensor(name));
                    continue;
                }
                module = moduleOf(name, ".lora_B.weight");
                if (module != null) {
                    bs.put(module, weights.tensor(name));
                    continue;
                }
                throw new IllegalArgumentException(dir.resolve(WEIGHTS) + ": tensor '" + name + "' is not a LoRA matrix ("
                        + PREFIX + "<module>.lora_A.weight / .lora_B.weight); embedding adapters, DoRA magnitudes and saved modules are not served");
            }
            require(!as.isEmpty(), dir.resolve(WEIGHTS), "tensors", "holds no LoRA matrices");
            for (Map.Entry<String, Tensor> e : as.entrySet()) {
                String module = e.getKey();
                Tensor a = e.getValue();
                Tensor b = bs.remove(module);
                require(b != null, dir.resolve(WEIGHTS), PREFIX + module + ".lora_B.weight", "is missing (lora_A is there)");
                int rank = a.shape().rank() == 2 ? a.dim(0) : -1;
                require(rank > 0 && b.shape().rank() == 2 && b.dim(1) == rank, dir.resolve(WEIGHTS), PREFIX + module,
                        "lora_A must be [r, in] and lora_B [out, r], got " + a.shape() + " and " + b.shape());
                JsonNode rankOf = pattern(config.path("rank_pattern"), module, configFile);
                int expected = rankOf == null ? r : rankOf.asInt();
                require(rank == expected, dir.resolve(WEIGHTS), PREFIX + module, "has rank " + rank + ", the config says " + expected);
                JsonNode alphaOf = pattern(config.path("alpha_pattern"), module, configFile);
                float a0 = alphaOf == null ? alpha : (float) alphaOf.asDouble();
                float scale = rslora ? (float) (a0 / Math.sqrt(rank)) : a0 / rank;
                modules.put(module, new Module(rank, scale, a.toFloatArray(), b.toFloatArray()));
            }
            require(bs.isEmpty(), dir.resolve(WEIGHTS), PREFIX + bs.keySet().stream().findFirst().orElse("") + ".lora_A.weight",
                    "is missing (lora_B is there)");
        } // a malformed file is a CheckpointFormatException, an IllegalArgumentException naming it
        return new PeftLora(dir, Map.copyOf(modules));
    }

    private static String moduleOf(String tensor, String suffix) {
        if (!tensor.startsWith(PREFIX) || !tensor.endsWith(suffix) || tensor.length() <= PREFIX.length() + suffix.length()) {
            return null;
        }
        return tensor.substring(PREFIX.length(), tensor.length() - suffix.length());
    }

    /**
     * PEFT's per-module override ({@code rank_pattern}, {@code alpha_pattern}): the first key that
     * names the module exactly or matches the end of its name as a regular expression, {@code (.*\.)?key}.
     */
    static JsonNode pattern(JsonNode patterns, String module, Path configFile) {
        if (!patterns.isObject()) {
            return null;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = patterns.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                if (e.getKey().equals(module) || Pattern.matches("(.*\\.)?(" + e.getKey() + ")", module)) {
                    require(e.getValue().isNumber(), configFile, e.getKey(), "must map to a number, got " + e.getValue());
                    return e.getValue();
                }
            } catch (PatternSyntaxException bad) {
                throw new IllegalArgumentException(configFile + ": pattern '" + e.getKey() + "' is not a regular expression: "
                        + bad.getDescription(), bad);
            }
        }
        return null;
    }

    private static void require(boolean ok, Path file, String field, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(file + ": " + field + " " + problem);
        }
    }
}
