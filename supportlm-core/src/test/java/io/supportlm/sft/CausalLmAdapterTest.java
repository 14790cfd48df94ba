package io.supportlm.sft;

import io.supportlm.generate.GenerationConfig;
import io.supportlm.generate.Generator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.io.SafetensorsFile;
import io.supportlm.kernels.GradCheck;
import io.supportlm.model.LoadedModel;
import io.supportlm.model.QuantizedLinear;
import io.supportlm.model.decoder.DecoderActivations;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.init.ModelInit;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.peft.LoraLinear;
import io.supportlm.peft.PromptTuning;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CausalLmAdapterTest {
    static final int[] IDS = {256, 72, 101, 108, 108, 111, 33, 258};

    static DecoderModel decoder(LoadedModel m) {
        return ((DecoderBackbone) m.backbone()).model();
    }

    /** All logits of IDS (T, V). */
    static float[] logits(DecoderModel m) {
        int T = IDS.length;
        DecoderActivations a = m.allocateInference(1, T, T);
        m.forward(a, IDS, null, null, 1, T);
        int[] rows = new int[T];
        Arrays.setAll(rows, i -> i);
        return m.logits(a, rows, T).clone();
    }

    /** LoRA on every linear layer and the LM head, with B random (a trained-looking adapter). */
    static LoraAdapter trainedLora(DecoderModel m, long seed) {
        String head = io.supportlm.model.decoder.DecoderWeights.lmHeadName(m.config().family());
        LoraAdapter lora = LoraAdapter.attach(new DecoderBackbone(m, true),
                new LoraConfig(4, 8f, 0f, List.of("all-linear", head), false, false), seed);
        Random rng = new Random(seed);
        for (LoraLinear l : lora.layers().values()) {
            for (int i = 0; i < l.b().length; i++) {
                l.b()[i] = (rng.nextFloat() * 2 - 1) * 0.5f;
            }
        }
        return lora;
    }

    static CausalLmAdapter.Meta meta(Path base, String type, String method) {
        return new CausalLmAdapter.Meta(base.toString(), type, method, method.equals("qlora") ? 4 : 0, 512, true, null, List.of(258));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt_neox"}) // qwen2 ties the LM head to the embeddings
    void savedLoraLoadsOntoAFreshBaseAndMergesIntoACheckpointWithTheSameLogits(String arch, @TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        ModelInit.write(arch, "tiny", 1, base);
        float[] adapted;
        Path adapterDir = dir.resolve("adapter");
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            float[] plain = logits(decoder(m));
            LoraAdapter lora = trainedLora(decoder(m), 2);
            adapted = logits(decoder(m));
            assertTrue(maxDiff(plain, adapted) > 1e-3, "the adapter changes the logits");
            CausalLmAdapter.save(adapterDir, lora, meta(base, arch, "lora"));
        }
        // PEFT's file layout
        JsonNode config = new ObjectMapper().readTree(adapterDir.resolve("adapter_config.json").toFile());
        assertEquals("CAUSAL_LM", config.get("task_type").asText());
        assertEquals("LORA", config.get("peft_type").asText());
        try (SafetensorsFile w = SafetensorsFile.open(adapterDir.resolve("adapter_model.safetensors"))) {
            String q = arch.equals("gpt_neox") ? "base_model.model.gpt_neox.layers.0.attention.query_key_value.lora_A.weight"
                    : "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
            assertEquals(List.of(4, 16), List.of(w.tensor(q).dim(0), w.tensor(q).dim(1)));
            String head = arch.equals("gpt_neox") ? "embed_out" : "lm_head";
            assertTrue(w.names().contains("base_model.model." + head + ".lora_B.weight"), w.names().toString());
        }
        try (LoadedModel fresh = LoadedModel.open(base.toString())) {
            CausalLmAdapter loaded = CausalLmAdapter.load(adapterDir, decoder(fresh));
            assertEquals(0, loaded.virtualTokens());
            GradCheck.assertClose("reloaded adapter logits", logits(decoder(fresh)), adapted, 0, 0);
        }
        Path merged = dir.resolve("merged");
        CausalLmExport.Result r = CausalLmExport.merge(adapterDir, null, merged);
        assertTrue(r.mergedLayers() > 0);
        try (LoadedModel m = LoadedModel.open(merged.toString())) {
            assertFalse(decoder(m).linearLayers().values().stream().anyMatch(l -> l instanceof LoraLinear));
            GradCheck.assertClose("merged checkpoint logits", logits(decoder(m)), adapted, 1e-4, 1e-5);
        }
    }

    @Test
    void qloraAdapterQuantizesTheBaseOnLoadAndMergesIntoTheOriginalWeights(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        ModelInit.write("llama", "tiny", 3, base);
        Path adapterDir = dir.resolve("adapter");
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            CausalLmAdapter.save(adapterDir, trainedLora(decoder(m), 4), meta(base, "llama", "qlora"));
        }
        float[] onOriginals;
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            trainedLora(decoder(m), 4); // the same adapter on the unquantized base: what the merge must reproduce
            onOriginals = logits(decoder(m));
        }
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            CausalLmAdapter a = CausalLmAdapter.load(adapterDir, decoder(m));
            LoraLinear q = a.lora().layers().get("model.layers.0.self_attn.q_proj");
            assertInstanceOf(QuantizedLinear.class, q.base());
        }
        CausalLmExport.merge(adapterDir, null, dir.resolve("merged"));
        try (LoadedModel m = LoadedModel.open(dir.resolve("merged").toString())) {
            GradCheck.assertClose("merged into the originals", logits(decoder(m)), onOriginals, 1e-4, 1e-5);
        }
    }

    @Test
    void anAdapterFromPythonsPeftWithoutSupportlmJsonLoads(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        ModelInit.write("llama", "tiny", 1, base);
        Path adapterDir = dir.resolve("adapter");
        float[] adapted;
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            LoraAdapter lora = trainedLora(decoder(m), 5);
            adapted = logits(decoder(m));
            CausalLmAdapter.save(adapterDir, lora, meta(base, "llama", "lora"));
        }
        java.nio.file.Files.delete(adapterDir.resolve(CausalLmAdapter.SUPPORTLM_JSON)); // PEFT writes only its two files
        assertEquals("lora", CausalLmAdapter.readMeta(adapterDir).method());
        try (LoadedModel fresh = LoadedModel.open(base.toString())) {
            CausalLmAdapter.load(adapterDir, decoder(fresh));
            GradCheck.assertClose("PEFT-only adapter logits", logits(decoder(fresh)), adapted, 0, 0);
        }
        java.nio.file.Files.delete(adapterDir.resolve(CausalLmAdapter.ADAPTER_CONFIG));
        var e = assertThrows(IllegalArgumentException.class, () -> CausalLmAdapter.readMeta(adapterDir));
        assertTrue(e.getMessage().contains("not a PEFT adapter"), e.getMessage());
    }

    @Test
    void promptTuningRoundTripsAndPrefillRunsTheVirtualTokensFirst(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base");
        ModelInit.write("llama", "tiny", 5, base);
        Path adapterDir = dir.resolve("adapter");
        PromptTuning prompt = PromptTuning.random(new PromptTuning.Config(3, PromptTuning.Init.RANDOM, null), 16, 6);
        CausalLmAdapter.save(adapterDir, prompt, meta(base, "llama", "prompt"));
        try (LoadedModel m = LoadedModel.open(base.toString())) {
            DecoderModel model = decoder(m);
            CausalLmAdapter a = CausalLmAdapter.load(adapterDir, model);
            assertEquals(3, a.virtualTokens());
            assertEquals(Arrays.toString(prompt.embeddings()), Arrays.toString(a.prompt().embeddings()));
            // the training path: virtual tokens then the text, through CausalLmLoss's forward
            CausalLmLoss loss = new CausalLmLoss(model, a.prompt(), 1, IDS.length, 1, false);
            int[] labels = IDS.clone();
            int[] mask = new int[IDS.length], positions = new int[IDS.length];
            Arrays.fill(mask, 1);
            Arrays.setAll(positions, i -> i);
            loss.forward(new SftBatch(1, IDS.length, IDS, labels, mask, positions, null));
            float[] expected = model.logits(loss.activations(), new int[] {3 + IDS.length - 1}, 1).clone();
            float[] viaCache = a.prefill(model.newCache(3 + IDS.length), IDS);
            GradCheck.assertClose("prefill after the virtual tokens", viaCache, expected, 1e-4, 1e-5);
            // generation goes through the same prefill: its first greedy token is that logits' argmax
            int argmax = 0;
            for (int v = 1; v < viaCache.length; v++) {
                argmax = viaCache[v] > viaCache[argmax] ? v : argmax;
            }
            var generation = new Generator(model, a).generate(IDS, GenerationConfig.greedy(2), t -> "", null);
            assertEquals(argmax, generation.tokens()[0]);
            assertThrows(IllegalArgumentException.class, () -> CausalLmExport.merge(adapterDir, null, dir.resolve("merged")));
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
