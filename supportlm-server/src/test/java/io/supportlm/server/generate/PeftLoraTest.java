package io.supportlm.server.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.Checkpoint;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.init.ModelInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeftLoraTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] PROMPT = {256, 72, 101, 108, 108, 111, 44, 32, 119};

    @TempDir
    Path dir;
    private Checkpoint checkpoint;
    private DecoderModel base;

    @BeforeEach
    void tinyLlama() throws Exception {
        Path model = dir.resolve("model");
        ModelInit.write("llama", "tiny", 7, model);
        checkpoint = Checkpoint.open(model);
        base = DecoderModels.load(ModelDirectory.of(model), checkpoint);
    }

    @AfterEach
    void unmap() {
        checkpoint.close();
    }

    private static float[] logits(DecoderModel m) {
        return m.prefill(m.newCache(PROMPT.length), PROMPT);
    }

    private static double maxDiff(float[] x, float[] y) {
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    @Test
    void anAdapterOverTheSharedBaseComputesWhatTheMergedModelComputes() {
        Map<String, LoraFiles.Matrices> written = LoraFiles.write(dir.resolve("a"), base,
                List.of("q_proj", "v_proj", "o_proj", "down_proj", "lm_head"), 4, 8f, 1);
        float[] before = logits(base);
        DecoderModel adapted = PeftLora.read(dir.resolve("a")).over(base);
        float[] served = logits(adapted);
        float[] merged = logits(LoraFiles.merged(base, written));
        assertTrue(maxDiff(served, merged) < 1e-4, "served vs merged: " + maxDiff(served, merged));
        assertTrue(maxDiff(served, before) > 1e-2, "the adapter changes the answer: " + maxDiff(served, before));
        assertArrayEquals(before, logits(base), "the base model is untouched");
        assertTrue(adapted.weights() == base.weights(), "the adapted model reads the base's weights, not a copy");
    }

    @Test
    void concurrentDecodingThroughTheSameAdapterMatchesSequentialDecoding() throws Exception {
        LoraFiles.write(dir.resolve("a"), base, List.of("q_proj", "v_proj"), 2, 4f, 3);
        DecoderModel adapted = PeftLora.read(dir.resolve("a")).over(base);
        float[] alone = logits(adapted);
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<float[]>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                runs.add(pool.submit(() -> logits(adapted)));
            }
            for (Future<float[]> f : runs) {
                assertArrayEquals(alone, f.get());
            }
        }
    }

    @Test
    void rankAndAlphaPatternsSetPerModuleScales() {
        LoraFiles.write(dir.resolve("a"), base, List.of("q_proj", "v_proj"), 4, 8f, 1,
                Map.of("alpha_pattern", Map.of("v_proj", 32), "use_rslora", false));
        PeftLora lora = PeftLora.read(dir.resolve("a"));
        assertEquals(2f, lora.modules().get("model.layers.0.self_attn.q_proj").scale());
        assertEquals(8f, lora.modules().get("model.layers.1.self_attn.v_proj").scale());
        LoraFiles.write(dir.resolve("b"), base, List.of("q_proj"), 4, 8f, 1, Map.of("use_rslora", true));
        assertEquals(4f, PeftLora.read(dir.resolve("b")).modules().get("model.layers.0.self_attn.q_proj").scale(), 1e-6);
        LoraFiles.write(dir.resolve("c"), base, List.of("q_proj"), 4, 8f, 1, Map.of("rank_pattern", Map.of("layers\\.0\\.self_attn\\.q_proj", 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftLora.read(dir.resolve("c")));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj has rank 4, the config says 2"), e.getMessage());
    }

    @Test
    void adaptersThatWouldBeServedWronglyAreRefusedByName() throws Exception {
        Path a = dir.resolve("a");
        LoraFiles.write(a, base, List.of("q_proj"), 2, 4f, 1);
        for (Map.Entry<String, Object> bad : List.of(Map.<String, Object>entry("task_type", "SEQ_CLS"), Map.<String, Object>entry("use_dora", true),
                Map.<String, Object>entry("peft_type", "PROMPT_TUNING"), Map.<String, Object>entry("bias", "all"),
                Map.<String, Object>entry("fan_in_fan_out", true))) {
            ObjectNode config = (ObjectNode) JSON.readTree(a.resolve(PeftLora.CONFIG).toFile());
            config.set(bad.getKey(), JSON.valueToTree(bad.getValue()));
            Path d = Files.createDirectories(dir.resolve("bad-" + bad.getKey()));
            JSON.writeValue(d.resolve(PeftLora.CONFIG).toFile(), config);
            Files.copy(a.resolve(PeftLora.WEIGHTS), d.resolve(PeftLora.WEIGHTS));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftLora.read(d));
            assertTrue(e.getMessage().contains(PeftLora.CONFIG + ": " + bad.getKey()), e.getMessage());
        }

        Path extra = Files.createDirectories(dir.resolve("extra"));
        Files.copy(a.resolve(PeftLora.CONFIG), extra.resolve(PeftLora.CONFIG));
        new SafetensorsWriter().add("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new float[32], 2, 16)
                .add("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", new float[32], 16, 2)
                .add("base_model.model.lm_head.weight", new float[16], 1, 16).write(extra.resolve(PeftLora.WEIGHTS));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PeftLora.read(extra));
        assertTrue(e.getMessage().contains("'base_model.model.lm_head.weight' is not a LoRA matrix"), e.getMessage());

        Path half = Files.createDirectories(dir.resolve("half"));
        Files.copy(a.resolve(PeftLora.CONFIG), half.resolve(PeftLora.CONFIG));
        new SafetensorsWriter().add("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new float[32], 2, 16)
                .write(half.resolve(PeftLora.WEIGHTS));
        e = assertThrows(IllegalArgumentException.class, () -> PeftLora.read(half));
        assertTrue(e.getMessage().contains("q_proj.lora_B.weight is missing"), e.getMessage());

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Files.copy(a.resolve(PeftLora.CONFIG), elsewhere.resolve(PeftLora.CONFIG));
        new SafetensorsWriter().add("base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight", new float[32], 2, 16)
                .add("base_model.model.model.layers.9.self_attn.q_proj.lora_B.weight", new float[32], 16, 2)
                .write(elsewhere.resolve(PeftLora.WEIGHTS));
        PeftLora lora = PeftLora.read(elsewhere);
        e = assertThrows(IllegalArgumentException.class, () -> lora.over(base));
        assertTrue(e.getMessage().contains("module 'model.layers.9.self_attn.q_proj' is not a linear layer of this llama model"),
                e.getMessage());

        Path wide = Files.createDirectories(dir.resolve("wide"));
        Files.copy(a.resolve(PeftLora.CONFIG), wide.resolve(PeftLora.CONFIG));
        new SafetensorsWriter().add("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", new float[34], 2, 17)
                .add("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight", new float[32], 16, 2)
                .write(wide.resolve(PeftLora.WEIGHTS));
        e = assertThrows(IllegalArgumentException.class, () -> PeftLora.read(wide).over(base));
        assertTrue(e.getMessage().contains("the adapter maps 17→16, the model's layer maps 16→16"), e.getMessage());
    }
}
