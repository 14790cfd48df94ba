package io.supportlm.model.decoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.model.decoder.DecoderConfig.Norm;
import io.supportlm.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Fresh models in memory: a tiny {@code config.json} per family (every feature of the family
 * switched on, small enough for finite-difference tests) and random weights in Hugging Face
 * naming for any config, which {@link DecoderWeights#load} reads like a checkpoint.
 */
public final class DecoderInit {
    private DecoderInit() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A tiny config.json for a family: hidden 16, 2 layers, GQA where the family has it, and each
     * family's particulars — Mistral a sliding window; Qwen2 q/k/v biases and tied embeddings;
     * Qwen3 q/k norms with head_dim 6 (query width 24 ≠ hidden); Gemma 3 one sliding and one
     * global layer with their own rope (linear scaling on the global one), attention and final
     * soft caps; GPT-NeoX partial rotary (2 of 8 dims) and parallel residual.
     */
    public static ObjectNode tinyConfigJson(Family family) {
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", family.modelType);
        c.put("vocab_size", 48);
        c.put("hidden_size", 16);
        c.put("intermediate_size", 24);
        c.put("num_hidden_layers", 2);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("max_position_embeddings", 64);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("tie_word_embeddings", false);
        c.put("eos_token_id", 2);
        switch (family) {
            case LLAMA -> { }
            case MISTRAL -> c.put("sliding_window", 3);
            case QWEN2 -> c.put("tie_word_embeddings", true);
            case QWEN3 -> {
                c.put("head_dim", 6);
                c.put("tie_word_embeddings", true);
            }
            case GEMMA3 -> {
                c.put("num_attention_heads", 2);
                c.put("num_key_value_heads", 1);
                c.put("head_dim", 8);
                c.put("hidden_activation", "gelu_pytorch_tanh");
                ArrayNode types = c.putArray("layer_types");
                types.add("sliding_attention").add("full_attention");
                c.put("sliding_window", 3);
                c.put("query_pre_attn_scalar", 10);
                c.put("attn_logit_softcapping", 5.0);
                c.put("final_logit_softcapping", 4.0);
                c.put("rope_theta", 1000.0);
                c.put("rope_local_base_freq", 100.0);
                c.putObject("rope_scaling").put("rope_type", "linear").put("factor", 2.0);
                c.remove("tie_word_embeddings"); // Gemma 3 ties by default
            }
            case GPT_NEOX -> {
                c.remove("num_key_value_heads");
                c.remove("rms_norm_eps");
                c.remove("rope_theta");
                c.put("num_attention_heads", 2);
                c.put("hidden_act", "gelu");
                c.put("rotary_pct", 0.25);
                c.put("rotary_emb_base", 10000);
                c.put("use_parallel_residual", true);
                c.put("layer_norm_eps", 1e-5);
            }
        }
        return c;
    }

    /** {@link #tinyConfigJson} parsed. */
    public static DecoderConfig tiny(Family family) {
        return DecoderConfig.fromJson(tinyConfigJson(family));
    }

    /**
     * Random weights for {@code c} in Hugging Face naming: linear weights and embeddings uniform
     * with standard deviation {@code std}, norm scales near 1 (near 0 for Gemma's {@code 1 + w}),
     * biases small. Deterministic for a seed.
     */
    public static InMemoryWeights randomWeights(DecoderConfig c, long seed, float std) {
        SplittableRandom rng = new SplittableRandom(seed);
        InMemoryWeights w = new InMemoryWeights("random " + c.family().modelType + " weights (seed " + seed + ")");
        boolean neox = c.family() == Family.GPT_NEOX;
        int C = c.hiddenSize(), I = c.intermediateSize(), V = c.vocabSize(), QW = c.queryWidth(), KW = c.kvWidth();
        String[] modules = DecoderWeights.modules(c.family());
        w.put(neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight", uniform(rng, std, V, C));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = DecoderWeights.layerPrefix(c.family(), l);
            int[][] shapes = new int[7][];
            boolean[] bias = new boolean[7];
            if (neox) {
                shapes[DecoderWeights.Q] = new int[] {3 * QW, C};
                bias[DecoderWeights.Q] = c.qkvBias();
            } else {
                shapes[DecoderWeights.Q] = new int[] {QW, C};
                shapes[DecoderWeights.K] = new int[] {KW, C};
                shapes[DecoderWeights.V] = new int[] {KW, C};
                shapes[DecoderWeights.GATE] = new int[] {I, C};
                bias[DecoderWeights.Q] = bias[DecoderWeights.K] = bias[DecoderWeights.V] = c.qkvBias();
                bias[DecoderWeights.GATE] = c.mlpBias();
            }
            shapes[DecoderWeights.O] = new int[] {C, QW};
            shapes[DecoderWeights.UP] = new int[] {I, C};
            shapes[DecoderWeights.DOWN] = new int[] {C, I};
            bias[DecoderWeights.O] = c.outputBias();
            bias[DecoderWeights.UP] = bias[DecoderWeights.DOWN] = c.mlpBias();
            for (int m = 0; m < 7; m++) {
                if (modules[m] != null) {
                    w.put(p + modules[m] + ".weight", uniform(rng, std, shapes[m]));
                    if (bias[m]) {
                        w.put(p + modules[m] + ".bias", uniform(rng, 0.1f, shapes[m][0]));
                    }
                }
            }
            normWeights(w, rng, c, p + "input_layernorm", C);
            normWeights(w, rng, c, p + (c.postNorms() ? "pre_feedforward_layernorm" : "post_attention_layernorm"), C);
            if (c.postNorms()) {
                normWeights(w, rng, c, p + "post_attention_layernorm", C);
                normWeights(w, rng, c, p + "post_feedforward_layernorm", C);
            }
            if (c.qkNorm()) {
                normWeights(w, rng, c, p + "self_attn.q_norm", c.headDim());
                normWeights(w, rng, c, p + "self_attn.k_norm", c.headDim());
            }
        }
        normWeights(w, rng, c, neox ? "gpt_neox.final_layer_norm" : "model.norm", C);
        if (!c.tiedEmbeddings()) {
            w.put(DecoderWeights.lmHeadName(c.family()) + ".weight", uniform(rng, std, V, C));
        }
        return w;
    }

    private static void normWeights(InMemoryWeights w, SplittableRandom rng, DecoderConfig c, String module, int n) {
        float[] scale = new float[n];
        float center = c.norm() == Norm.RMS_UNIT_OFFSET ? 0f : 1f;
        for (int i = 0; i < n; i++) {
            scale[i] = center + (float) (rng.nextDouble() - 0.5) * 0.2f;
        }
        w.put(module + ".weight", Tensor.wrap(scale, n));
        if (c.norm() == Norm.LAYER) {
            w.put(module + ".bias", uniform(rng, 0.1f, n));
        }
    }

    /** Uniform on [−√3·std, √3·std] (standard deviation std). */
    private static Tensor uniform(SplittableRandom rng, float std, int... dims) {
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        float[] a = new float[n];
        double half = Math.sqrt(3) * std;
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * half);
        }
        return Tensor.wrap(a, dims);
    }
}
