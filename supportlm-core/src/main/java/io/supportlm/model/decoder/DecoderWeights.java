package io.supportlm.model.decoder;

import io.supportlm.model.FrozenLinear;
import io.supportlm.model.WeightSource;
import io.supportlm.model.decoder.DecoderConfig.Family;
import io.supportlm.model.decoder.DecoderConfig.Norm;
import io.supportlm.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The weight layout of a decoder checkpoint in Hugging Face naming, every shape checked against
 * the config.
 *
 * <pre>
 *   Llama, Mistral, Qwen2, Qwen3, Gemma 3              GPT-NeoX
 *   model.embed_tokens.weight                          gpt_neox.embed_in.weight
 *   model.layers.N.input_layernorm                     gpt_neox.layers.N.input_layernorm (+ bias)
 *   model.layers.N.self_attn.{q,k,v,o}_proj            gpt_neox.layers.N.attention.query_key_value, .dense
 *   model.layers.N.self_attn.{q,k}_norm (Qwen3, Gemma)
 *   model.layers.N.post_attention_layernorm            gpt_neox.layers.N.post_attention_layernorm (+ bias)
 *   model.layers.N.pre/post_feedforward_layernorm (Gemma)
 *   model.layers.N.mlp.{gate,up,down}_proj             gpt_neox.layers.N.mlp.dense_h_to_4h, .dense_4h_to_h
 *   model.norm.weight                                  gpt_neox.final_layer_norm (+ bias)
 *   lm_head.weight (absent when tied)                  embed_out.weight
 * </pre>
 *
 * In Llama-style layouts {@code post_attention_layernorm} is the MLP's input norm; in Gemma 3 it
 * normalizes the attention output and {@code pre_feedforward_layernorm} is the MLP's input norm.
 * Gemma 3 checkpoints saved from the multimodal model prefix the text weights with
 * {@code language_model.model.} or {@code model.language_model.}: both are accepted.
 *
 * <p>GPT-NeoX's fused {@code query_key_value} ({@code [3·C, C]}) is kept as one linear layer (so
 * an adapter can target it as PEFT does); its output rows are laid out per head as
 * {@code [q | k | v]} (head h owns rows {@code [3·HS·h, 3·HS·(h+1))}), which
 * {@link DecoderModel} splits after the projection.
 *
 * @param lmHead the output projection {@code (V, C)}: the embedding table itself when tied
 */
public record DecoderWeights(Tensor embeddings, List<Layer> layers, float[] finalNormWeight, float[] finalNormBias,
                             Tensor lmHead) {
    /** Slots of the linear layers of one layer (absent ones are null). */
    public static final int Q = 0, K = 1, V = 2, O = 3, GATE = 4, UP = 5, DOWN = 6;
    private static final String[] LLAMA_MODULES = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
    /** GPT-NeoX: the fused projection sits in slot Q. */
    private static final String[] NEOX_MODULES = {"attention.query_key_value", null, null, "attention.dense", null,
            "mlp.dense_h_to_4h", "mlp.dense_4h_to_h"};

    /**
     * One decoder layer. Norm biases are null for RMSNorm; {@code qNorm}/{@code kNorm} (HS) are
     * null without q/k norms; {@code postAttnNorm}/{@code postMlpNorm} are null without post-norms.
     */
    public record Layer(float[] inputNormWeight, float[] inputNormBias, FrozenLinear[] linears, float[] qNorm,
                        float[] kNorm, float[] postAttnNorm, float[] mlpNormWeight, float[] mlpNormBias,
                        float[] postMlpNorm) {}

    /** Module paths inside a layer, by slot (null where the family has no such module). */
    public static String[] modules(Family family) {
        return (family == Family.GPT_NEOX ? NEOX_MODULES : LLAMA_MODULES).clone();
    }

    /** The prefix of layer {@code l}'s module names, e.g. {@code model.layers.3.}. */
    public static String layerPrefix(Family family, int l) {
        return (family == Family.GPT_NEOX ? "gpt_neox.layers." : "model.layers.") + l + ".";
    }

    /** The name of the output projection module ({@code lm_head} or GPT-NeoX's {@code embed_out}). */
    public static String lmHeadName(Family family) {
        return family == Family.GPT_NEOX ? "embed_out" : "lm_head";
    }

    public static DecoderWeights load(WeightSource w, DecoderConfig c) {
        boolean neox = c.family() == Family.GPT_NEOX;
        String root = neox ? "gpt_neox." : "model.";
        if (!neox && !w.has("model.embed_tokens.weight")) {
            for (String alt : new String[] {"language_model.model.", "model.language_model."}) {
                if (w.has(alt + "embed_tokens.weight")) {
                    root = alt;
                }
            }
        }
        int C = c.hiddenSize(), I = c.intermediateSize(), HS = c.headDim();
        int QW = c.queryWidth(), KW = c.kvWidth();
        boolean layerNorm = c.norm() == Norm.LAYER;
        String[] modules = modules(c.family());
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = root + "layers." + l + ".";
            FrozenLinear[] lin = new FrozenLinear[7];
            if (neox) {
                lin[Q] = linear(w, p + modules[Q], 3 * QW, C, c.qkvBias());
            } else {
                lin[Q] = linear(w, p + modules[Q], QW, C, c.qkvBias());
                lin[K] = linear(w, p + modules[K], KW, C, c.qkvBias());
                lin[V] = linear(w, p + modules[V], KW, C, c.qkvBias());
                lin[GATE] = linear(w, p + modules[GATE], I, C, c.mlpBias());
            }
            lin[O] = linear(w, p + modules[O], C, QW, c.outputBias());
            lin[UP] = linear(w, p + modules[UP], I, C, c.mlpBias());
            lin[DOWN] = linear(w, p + modules[DOWN], C, I, c.mlpBias());
            // Gemma's sandwich norms rename the MLP input norm; elsewhere post_attention_layernorm is that norm.
            String mlpNorm = c.postNorms() ? "pre_feedforward_layernorm" : "post_attention_layernorm";
            layers.add(new Layer(
                    w.vector(p + "input_layernorm.weight", C),
                    layerNorm ? w.vector(p + "input_layernorm.bias", C) : null,
                    lin,
                    c.qkNorm() ? w.vector(p + "self_attn.q_norm.weight", HS) : null,
                    c.qkNorm() ? w.vector(p + "self_attn.k_norm.weight", HS) : null,
                    c.postNorms() ? w.vector(p + "post_attention_layernorm.weight", C) : null,
                    w.vector(p + mlpNorm + ".weight", C),
                    layerNorm ? w.vector(p + mlpNorm + ".bias", C) : null,
                    c.postNorms() ? w.vector(p + "post_feedforward_layernorm.weight", C) : null));
        }
        String embName = neox ? "gpt_neox.embed_in.weight" : root + "embed_tokens.weight";
        Tensor emb = w.tensor(embName, c.vocabSize(), C);
        String finalNorm = neox ? "gpt_neox.final_layer_norm" : root + "norm";
        Tensor head;
        if (c.tiedEmbeddings()) {
            head = emb;
        } else {
            String headName = lmHeadName(c.family()) + ".weight";
            if (!w.has(headName)) {
                throw new IllegalArgumentException("checkpoint has no '" + headName + "' and config.json does not tie"
                        + " the word embeddings (tie_word_embeddings = false)");
            }
            head = w.tensor(headName, c.vocabSize(), C);
        }
        return new DecoderWeights(emb, List.copyOf(layers), w.vector(finalNorm + ".weight", C),
                layerNorm ? w.vector(finalNorm + ".bias", C) : null, head);
    }

    private static FrozenLinear linear(WeightSource w, String module, int out, int in, boolean bias) {
        return new FrozenLinear(w.tensor(module + ".weight", out, in), bias ? w.vector(module + ".bias", out) : null);
    }
}
