package io.supportlm.server.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.peft.DropoutSchedule;
import io.supportlm.peft.LoraLinear;
import io.supportlm.peft.Merge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * PEFT causal-LM LoRA adapters written for tests as Python's PEFT saves them (adapter_config.json
 * and adapter_model.safetensors with {@code base_model.model.<module>.lora_A/B.weight}), and the
 * reference they must serve as: the base with the adapter merged by the trainer's {@link LoraLinear}
 * and {@link Merge}.
 */
public final class LoraFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraFiles() {}

    /** One adapted module as written: A (r, in), B (out, r), and the scale PEFT would use. */
    public record Matrices(int rank, float scale, float[] a, float[] b) {}

    /**
     * Writes an adapter on every linear layer whose name ends with one of {@code targets}, A and B
     * uniform in ±0.5 (B non-zero, so it changes the model), scale {@code alpha / r}.
     */
    public static Map<String, Matrices> write(Path dir, DecoderModel model, List<String> targets, int r, float alpha, long seed) {
        return write(dir, model, targets, r, alpha, seed, Map.of());
    }

    /** As {@link #write(Path, DecoderModel, List, int, float, long)} with extra adapter_config.json fields. */
    public static Map<String, Matrices> write(Path dir, DecoderModel model, List<String> targets, int r, float alpha, long seed,
                                              Map<String, Object> extraConfig) {
        Random rng = new Random(seed);
        Map<String, Matrices> modules = new LinkedHashMap<>();
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, LinearLayer> e : model.linearLayers().entrySet()) {
            if (targets.stream().noneMatch(t -> e.getKey().endsWith("." + t))) {
                continue;
            }
            LinearLayer layer = e.getValue();
            float[] a = uniform(rng, r * layer.inFeatures());
            float[] b = uniform(rng, layer.outFeatures() * r);
            weights.add("base_model.model." + e.getKey() + ".lora_A.weight", a, r, layer.inFeatures());
            weights.add("base_model.model." + e.getKey() + ".lora_B.weight", b, layer.outFeatures(), r);
            modules.put(e.getKey(), new Matrices(r, alpha / r, a, b));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("peft_type", "LORA");
        config.put("task_type", "CAUSAL_LM");
        config.put("base_model_name_or_path", "tiny-llama");
        config.put("r", r);
        config.put("lora_alpha", alpha);
        config.put("lora_dropout", 0.05);
        config.put("target_modules", targets);
        config.put("bias", "none");
        config.put("use_rslora", false);
        config.put("use_dora", false);
        config.put("fan_in_fan_out", false);
        config.put("modules_to_save", null);
        config.put("rank_pattern", Map.of());
        config.put("alpha_pattern", Map.of());
        config.put("inference_mode", true);
        config.put("peft_version", "0.17.0");
        config.put("some_future_key", "ignored"); // PEFT adds keys over time; readers ignore unknown ones
        config.putAll(extraConfig);
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("adapter_config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        weights.write(dir.resolve("adapter_model.safetensors"));
        return modules;
    }

    /** A model over {@code base}'s weights with each module replaced by its merged weight {@code W + s·B·A}. */
    public static DecoderModel merged(DecoderModel base, Map<String, Matrices> modules) {
        DecoderModel merged = new DecoderModel(base.config(), base.weights());
        Map<String, LinearLayer> layers = merged.linearLayers();
        modules.forEach((name, m) -> {
            FrozenLinear original = (FrozenLinear) layers.get(name);
            LoraLinear lora = new LoraLinear(original, m.rank(), m.scale(), 0f, new DropoutSchedule(), 0, m.a(), m.b());
            merged.replaceLinear(name, Merge.intoOriginal(name, original, lora));
        });
        return merged;
    }

    private static float[] uniform(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (rng.nextFloat() * 2 - 1) * 0.5f;
        }
        return v;
    }
}
