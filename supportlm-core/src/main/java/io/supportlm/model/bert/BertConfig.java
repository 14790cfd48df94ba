package io.supportlm.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.model.hf.ConfigJson;

/**
 * The fields of a BERT {@code config.json} that change the numbers. Defaults are those of
 * transformers' {@code BertConfig} when a key is absent.
 */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         int maxPositions, int typeVocabSize, float layerNormEps, Activation activation,
                         float hiddenDropout, int padTokenId) {
    /** The two GELU forms BERT checkpoints name. */
    public enum Activation {
        GELU, GELU_TANH
    }

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("config.json: hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("config.json: layer_norm_eps must be positive, got " + layerNormEps);
        }
        if (!(hiddenDropout >= 0 && hiddenDropout < 1)) {
            throw new IllegalArgumentException("config.json: hidden_dropout_prob must be in [0, 1), got " + hiddenDropout);
        }
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** The config.json fields of this configuration, as transformers writes them. */
    public java.util.Map<String, Object> toJson() {
        java.util.Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("architectures", java.util.List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("vocab_size", vocabSize);
        c.put("hidden_size", hiddenSize);
        c.put("num_hidden_layers", numLayers);
        c.put("num_attention_heads", numHeads);
        c.put("intermediate_size", intermediateSize);
        c.put("hidden_act", activation == Activation.GELU ? "gelu" : "gelu_pytorch_tanh");
        c.put("max_position_embeddings", maxPositions);
        c.put("type_vocab_size", typeVocabSize);
        c.put("layer_norm_eps", layerNormEps);
        c.put("hidden_dropout_prob", hiddenDropout);
        c.put("attention_probs_dropout_prob", hiddenDropout);
        c.put("position_embedding_type", "absolute");
        c.put("pad_token_id", padTokenId);
        c.put("torch_dtype", "float32");
        return c;
    }

    /** Reads a parsed config.json; {@code model_type} must be {@code bert}. */
    public static BertConfig fromJson(JsonNode c) {
        String type = c.path("model_type").asText("");
        if (!type.equals("bert")) {
            throw new IllegalArgumentException("config.json: model_type '" + type + "' is not 'bert'");
        }
        String positionType = c.path("position_embedding_type").asText("absolute");
        if (!positionType.equals("absolute")) {
            throw new IllegalArgumentException("config.json: position_embedding_type '" + positionType + "' is not supported (only 'absolute')");
        }
        String act = c.path("hidden_act").asText("gelu");
        Activation activation = switch (act) {
            case "gelu" -> Activation.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> Activation.GELU_TANH;
            default -> throw new IllegalArgumentException("config.json: hidden_act '" + act + "' is not supported (gelu, gelu_new, gelu_pytorch_tanh)");
        };
        return new BertConfig(
                integer(c, "vocab_size", 30522), integer(c, "hidden_size", 768), integer(c, "num_hidden_layers", 12),
                integer(c, "num_attention_heads", 12), integer(c, "intermediate_size", 3072),
                integer(c, "max_position_embeddings", 512), integer(c, "type_vocab_size", 2),
                (float) number(c, "layer_norm_eps", 1e-12), activation,
                (float) number(c, "hidden_dropout_prob", 0.1), integer(c, "pad_token_id", 0));
    }

    private static int integer(JsonNode c, String key, int dflt) {
        return ConfigJson.of(c, "config.json").getInt(key, dflt);
    }

    private static double number(JsonNode c, String key, double dflt) {
        return ConfigJson.of(c, "config.json").getDouble(key, dflt);
    }

    private static void positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("config.json: " + key + " must be positive, got " + v);
        }
    }
}
