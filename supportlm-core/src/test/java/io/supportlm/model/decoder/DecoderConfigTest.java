package io.supportlm.model.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.kernels.Rope;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.model.decoder.DecoderConfig.LayerType;
import io.supportlm.model.decoder.DecoderConfig.Mlp;
import io.supportlm.model.decoder.DecoderConfig.Norm;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Parsing real {@code config.json} files. The texts are those published on the Hugging Face Hub
 * (HuggingFaceTB/SmolLM2-135M, Qwen/Qwen2.5-0.5B, Qwen/Qwen3-0.6B, google/gemma-3-270m,
 * EleutherAI/pythia-70m), written down here from those repositories; the gemma-3-270m values were
 * cross-checked against public code that pins them (hidden 640, 4 heads, 1 kv head, head_dim 256,
 * sliding window 512, full attention on every sixth layer).
 */
class DecoderConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DecoderConfig parse(String text) {
        try {
            return DecoderConfig.fromJson(JSON.readTree(text));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static final String SMOLLM2_135M = """
            {
              "architectures": ["LlamaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 0,
              "eos_token_id": 0,
              "hidden_act": "silu",
              "hidden_size": 576,
              "initializer_range": 0.041666666666666664,
              "intermediate_size": 1536,
              "is_llama_config": true,
              "max_position_embeddings": 8192,
              "mlp_bias": false,
              "model_type": "llama",
              "num_attention_heads": 9,
              "num_hidden_layers": 30,
              "num_key_value_heads": 3,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_interleaved": false,
              "rope_scaling": null,
              "rope_theta": 100000,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.40.1",
              "use_cache": true,
              "vocab_size": 49152
            }""";

    @Test
    void smolLm2IsALlamaWithTiedEmbeddingsAndGroupedQueries() {
        DecoderConfig c = parse(SMOLLM2_135M);
        assertEquals(Family.LLAMA, c.family());
        assertEquals(576, c.hiddenSize());
        assertEquals(30, c.numLayers());
        assertEquals(9, c.numHeads());
        assertEquals(3, c.numKvHeads());
        assertEquals(64, c.headDim()); // hidden / heads
        assertEquals(1536, c.intermediateSize());
        assertEquals(49152, c.vocabSize());
        assertEquals(Norm.RMS, c.norm());
        assertEquals(1e-5f, c.normEps());
        assertEquals(Mlp.SWIGLU, c.mlp());
        assertTrue(c.tiedEmbeddings());
        assertFalse(c.qkvBias() || c.outputBias() || c.mlpBias() || c.qkNorm() || c.postNorms());
        assertEquals(Rope.Config.of(64, 100000), c.rope());
        assertEquals(List.of(0), c.eosTokenIds());
        assertEquals((float) (1 / Math.sqrt(64)), c.attentionScale());
        assertFalse(c.layerTypes().contains(LayerType.SLIDING));
    }

    static final String QWEN25_05B = """
            {
              "architectures": ["Qwen2ForCausalLM"],
              "attention_dropout": 0.0,
              "bos_token_id": 151643,
              "eos_token_id": 151643,
              "hidden_act": "silu",
              "hidden_size": 896,
              "initializer_range": 0.02,
              "intermediate_size": 4864,
              "max_position_embeddings": 32768,
              "max_window_layers": 24,
              "model_type": "qwen2",
              "num_attention_heads": 14,
              "num_hidden_layers": 24,
              "num_key_value_heads": 2,
              "rms_norm_eps": 1e-06,
              "rope_theta": 1000000.0,
              "sliding_window": 32768,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.40.1",
              "use_cache": true,
              "use_mrope": false,
              "use_sliding_window": false,
              "vocab_size": 151936
            }""";

    @Test
    void qwen25HasQkvBiasesButNoOutputBiasAndNoWindowUnlessEnabled() {
        DecoderConfig c = parse(QWEN25_05B);
        assertEquals(Family.QWEN2, c.family());
        assertEquals(64, c.headDim());
        assertEquals(2, c.numKvHeads());
        assertTrue(c.qkvBias());
        assertFalse(c.outputBias());
        assertFalse(c.mlpBias());
        assertTrue(c.tiedEmbeddings());
        assertEquals(1e6, c.rope().theta());
        assertEquals(0, c.slidingWindow()); // use_sliding_window = false
        assertFalse(c.layerTypes().contains(LayerType.SLIDING));

        ObjectNode windowed = (ObjectNode) tree(QWEN25_05B);
        windowed.put("use_sliding_window", true).put("max_window_layers", 20).put("sliding_window", 4096);
        DecoderConfig w = DecoderConfig.fromJson(windowed);
        assertEquals(4096, w.slidingWindow());
        assertEquals(LayerType.FULL, w.layerTypes().get(19));
        assertEquals(LayerType.SLIDING, w.layerTypes().get(20));
    }

    static final String QWEN3_06B = """
            {
              "architectures": ["Qwen3ForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 151643,
              "eos_token_id": 151645,
              "head_dim": 128,
              "hidden_act": "silu",
              "hidden_size": 1024,
              "initializer_range": 0.02,
              "intermediate_size": 3072,
              "max_position_embeddings": 40960,
              "max_window_layers": 28,
              "model_type": "qwen3",
              "num_attention_heads": 16,
              "num_hidden_layers": 28,
              "num_key_value_heads": 8,
              "rms_norm_eps": 1e-06,
              "rope_scaling": null,
              "rope_theta": 1000000,
              "sliding_window": null,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.51.0",
              "use_cache": true,
              "use_sliding_window": false,
              "vocab_size": 151936
            }""";

    @Test
    void qwen3HasQkNormsAndAHeadDimOfItsOwn() {
        DecoderConfig c = parse(QWEN3_06B);
        assertEquals(Family.QWEN3, c.family());
        assertEquals(128, c.headDim());
        assertEquals(2048, c.queryWidth()); // 16 × 128, not the hidden size
        assertEquals(1024, c.kvWidth());
        assertTrue(c.qkNorm());
        assertFalse(c.qkvBias());
        assertEquals(List.of(151645), c.eosTokenIds());

        ObjectNode noHeadDim = (ObjectNode) tree(QWEN3_06B);
        noHeadDim.remove("head_dim");
        assertEquals(128, DecoderConfig.fromJson(noHeadDim).headDim()); // Qwen3Config's default, not hidden/heads = 64
    }

    static final String GEMMA3_270M = """
            {
              "_sliding_window_pattern": 6,
              "architectures": ["Gemma3ForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "attn_logit_softcapping": null,
              "bos_token_id": 2,
              "eos_token_id": 1,
              "final_logit_softcapping": null,
              "head_dim": 256,
              "hidden_activation": "gelu_pytorch_tanh",
              "hidden_size": 640,
              "initializer_range": 0.02,
              "intermediate_size": 2048,
              "layer_types": [
                "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention",
                "full_attention",
                "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention",
                "full_attention",
                "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention", "sliding_attention",
                "full_attention"
              ],
              "max_position_embeddings": 32768,
              "model_type": "gemma3_text",
              "num_attention_heads": 4,
              "num_hidden_layers": 18,
              "num_key_value_heads": 1,
              "pad_token_id": 0,
              "query_pre_attn_scalar": 256,
              "rms_norm_eps": 1e-06,
              "rope_local_base_freq": 10000.0,
              "rope_scaling": null,
              "rope_theta": 1000000.0,
              "sliding_window": 512,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.55.0.dev0",
              "use_bidirectional_attention": false,
              "use_cache": true,
              "vocab_size": 262144
            }""";

    @Test
    void gemma3HasLocalAndGlobalLayersWithTheirOwnRope() {
        DecoderConfig c = parse(GEMMA3_270M);
        assertEquals(Family.GEMMA3, c.family());
        assertEquals(Norm.RMS_UNIT_OFFSET, c.norm());
        assertEquals(Mlp.GEGLU_TANH, c.mlp());
        assertTrue(c.qkNorm() && c.postNorms() && c.tiedEmbeddings());
        assertEquals(1024, c.queryWidth());
        assertEquals((float) Math.sqrt(640), c.embeddingScale());
        assertEquals((float) (1 / Math.sqrt(256)), c.attentionScale());
        assertEquals(512, c.slidingWindow());
        assertEquals(0f, c.attnSoftcap());
        assertEquals(0f, c.finalSoftcap());
        for (int l = 0; l < 18; l++) {
            assertEquals((l + 1) % 6 == 0 ? LayerType.FULL : LayerType.SLIDING, c.layerTypes().get(l), "layer " + l);
        }
        assertEquals(1e6, c.ropeOf(5).theta());
        assertEquals(10000, c.ropeOf(0).theta());
        assertEquals(0, c.windowOf(5));
        assertEquals(512, c.windowOf(4));

        // without layer_types the pattern decides; the multimodal wrapper nests the same fields in text_config
        ObjectNode text = (ObjectNode) tree(GEMMA3_270M);
        text.remove("layer_types");
        text.put("sliding_window_pattern", 3).put("final_logit_softcapping", 30.0);
        text.putObject("rope_scaling").put("rope_type", "linear").put("factor", 8.0);
        ObjectNode wrapper = JSON.createObjectNode().put("model_type", "gemma3");
        wrapper.set("text_config", text);
        DecoderConfig m = DecoderConfig.fromJson(wrapper);
        assertEquals(LayerType.FULL, m.layerTypes().get(2));
        assertEquals(LayerType.SLIDING, m.layerTypes().get(3));
        assertEquals(30f, m.finalSoftcap());
        assertEquals(new Rope.Scaling.Linear(8), m.rope().scaling());
        assertEquals(new Rope.Scaling.None(), m.slidingRope().scaling()); // local layers are not scaled
    }

    @Test
    void ropeParametersOfTransformers5AreReadPerLayerType() {
        ObjectNode c = (ObjectNode) tree(GEMMA3_270M);
        c.remove("rope_theta");
        c.remove("rope_local_base_freq");
        c.remove("rope_scaling");
        ObjectNode params = c.putObject("rope_parameters");
        params.putObject("full_attention").put("rope_type", "linear").put("factor", 8.0).put("rope_theta", 1000000.0);
        params.putObject("sliding_attention").put("rope_type", "default").put("rope_theta", 10000.0);
        DecoderConfig g = DecoderConfig.fromJson(c);
        assertEquals(new Rope.Config(256, 256, 1e6, new Rope.Scaling.Linear(8)), g.rope());
        assertEquals(Rope.Config.of(256, 10000), g.slidingRope());

        ObjectNode llama = (ObjectNode) tree(SMOLLM2_135M);
        llama.remove("rope_theta");
        llama.putObject("rope_parameters").put("rope_type", "llama3").put("rope_theta", 500000.0).put("factor", 32.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
        assertEquals(new Rope.Config(64, 64, 500000, new Rope.Scaling.Llama3(32, 1, 4, 8192)), DecoderConfig.fromJson(llama).rope());
    }

    static final String PYTHIA_70M = """
            {
              "architectures": ["GPTNeoXForCausalLM"],
              "bos_token_id": 0,
              "eos_token_id": 0,
              "hidden_act": "gelu",
              "hidden_size": 512,
              "initializer_range": 0.02,
              "intermediate_size": 2048,
              "layer_norm_eps": 1e-05,
              "max_position_embeddings": 2048,
              "model_type": "gpt_neox",
              "num_attention_heads": 8,
              "num_hidden_layers": 6,
              "rotary_emb_base": 10000,
              "rotary_pct": 0.25,
              "tie_word_embeddings": false,
              "torch_dtype": "float16",
              "transformers_version": "4.24.0",
              "use_cache": true,
              "use_parallel_residual": true,
              "vocab_size": 50304
            }""";

    @Test
    void pythiaHasPartialRotaryParallelResidualAndLayerNorm() {
        DecoderConfig c = parse(PYTHIA_70M);
        assertEquals(Family.GPT_NEOX, c.family());
        assertEquals(Norm.LAYER, c.norm());
        assertEquals(Mlp.GELU, c.mlp());
        assertEquals(64, c.headDim());
        assertEquals(new Rope.Config(64, 16, 10000, new Rope.Scaling.None()), c.rope()); // 25% of 64 dims rotate
        assertTrue(c.parallelResidual());
        assertTrue(c.qkvBias() && c.outputBias() && c.mlpBias()); // attention_bias defaults to true
        assertFalse(c.tiedEmbeddings());
        assertEquals(8, c.numKvHeads());
    }

    @Test
    void unsupportedModelTypesAndOptionsAreClearErrors() {
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> parse("{\"model_type\": \"phi3\"}"));
        assertTrue(type.getMessage().contains("'phi3'") && type.getMessage().contains("llama")
                && type.getMessage().contains("qwen3") && type.getMessage().contains("gpt_neox"), type.getMessage());

        ObjectNode dynamic = (ObjectNode) tree(SMOLLM2_135M);
        dynamic.putObject("rope_scaling").put("rope_type", "dynamic").put("factor", 2.0);
        IllegalArgumentException rope = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.fromJson(dynamic));
        assertTrue(rope.getMessage().contains("'dynamic'") && rope.getMessage().contains("llama3, yarn"), rope.getMessage());

        ObjectNode relu = (ObjectNode) tree(SMOLLM2_135M);
        relu.put("hidden_act", "relu");
        IllegalArgumentException act = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.fromJson(relu));
        assertTrue(act.getMessage().contains("'relu'") && act.getMessage().contains("silu"), act.getMessage());

        ObjectNode bidirectional = (ObjectNode) tree(GEMMA3_270M);
        bidirectional.put("use_bidirectional_attention", true);
        IllegalArgumentException bi = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.fromJson(bidirectional));
        assertTrue(bi.getMessage().contains("use_bidirectional_attention"), bi.getMessage());

        ObjectNode badHeads = (ObjectNode) tree(QWEN25_05B);
        badHeads.put("num_key_value_heads", 3);
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.fromJson(badHeads));
        assertTrue(heads.getMessage().contains("num_key_value_heads 3"), heads.getMessage());

        ObjectNode badLayerType = (ObjectNode) tree(GEMMA3_270M);
        ((com.fasterxml.jackson.databind.node.ArrayNode) badLayerType.get("layer_types")).set(0, "chunked_attention");
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class, () -> DecoderConfig.fromJson(badLayerType));
        assertTrue(layer.getMessage().contains("chunked_attention"), layer.getMessage());
    }

    private static JsonNode tree(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
