package io.supportlm.model.decoder;

import com.fasterxml.jackson.databind.JsonNode;
import io.supportlm.model.hf.ConfigJson;
import io.supportlm.kernels.Rope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything about a decoder-only language model that changes the numbers, for every supported
 * family, in one validated record: the families differ only by these values, and one
 * implementation ({@link DecoderModel}) reads them. {@link #fromJson} parses a Hugging Face
 * {@code config.json}; where a key is absent it takes the default of that family's configuration
 * class in transformers ({@code LlamaConfig}, {@code MistralConfig}, {@code Qwen2Config},
 * {@code Qwen3Config}, {@code Gemma3TextConfig}, {@code GPTNeoXConfig}).
 *
 * <p>Dropout probabilities in the file are not read: the supported checkpoints all ship 0, and
 * regularization is the trainer's choice.
 *
 * @param family           weight layout and HF {@code model_type}
 * @param headDim          HS; query width is {@code numHeads·headDim}, which need not be hidden
 * @param norm             RMSNorm, Gemma's RMSNorm with {@code (1 + w)}, or LayerNorm with bias
 * @param qkvBias          q/k/v projections (or the fused {@code query_key_value}) have biases
 * @param outputBias       {@code o_proj} (or {@code attention.dense}) has a bias
 * @param mlpBias          the MLP projections have biases
 * @param qkNorm           per-head RMSNorm of q and k before rope (Qwen3, Gemma 3)
 * @param postNorms        Gemma 3's norms of the attention and MLP outputs before each residual add
 * @param embeddingScale   multiplies token embeddings (√hidden for Gemma, 1 otherwise)
 * @param attentionScale   multiplies q·k (1/√HS, or {@code query_pre_attn_scalar^-½})
 * @param attnSoftcap      attention logit soft cap, 0 = none
 * @param finalSoftcap     final logit soft cap, 0 = none
 * @param layerTypes       per layer: full or sliding-window attention
 * @param slidingWindow    W for sliding layers (query i sees keys {@code i − W < j ≤ i}); 0 when none
 * @param rope             rotary embedding of full-attention layers
 * @param slidingRope      rotary embedding of sliding layers (Gemma 3's local base frequency)
 * @param parallelResidual GPT-NeoX: {@code x + attn(ln1(x)) + mlp(ln2(x))}
 * @param eosTokenIds      {@code eos_token_id} (one or a list; empty when absent)
 */
public record DecoderConfig(Family family, int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
                            int headDim, int intermediateSize, int maxPositions, Norm norm, float normEps, Mlp mlp,
                            boolean qkvBias, boolean outputBias, boolean mlpBias, boolean qkNorm, boolean postNorms,
                            float embeddingScale, float attentionScale, float attnSoftcap, float finalSoftcap,
                            List<LayerType> layerTypes, int slidingWindow, Rope.Config rope, Rope.Config slidingRope,
                            boolean tiedEmbeddings, boolean parallelResidual, List<Integer> eosTokenIds) {

    /** The supported {@code model_type}s; each names a weight layout. */
    public enum Family {
        LLAMA("llama"), MISTRAL("mistral"), QWEN2("qwen2"), QWEN3("qwen3"), GEMMA3("gemma3_text"), GPT_NEOX("gpt_neox");

        public final String modelType;

        Family(String modelType) {
            this.modelType = modelType;
        }

        /** The family for a {@code model_type}, or an error listing the supported ones. */
        public static Family of(String modelType) {
            for (Family f : values()) {
                if (f.modelType.equals(modelType)) {
                    return f;
                }
            }
            if (modelType.equals("gemma3")) {
                return GEMMA3;
            }
            throw new IllegalArgumentException("config.json: model_type '" + modelType + "' is not supported (supported: "
                    + SUPPORTED + ")");
        }
    }

    /** What {@link Family#of} accepts, for error messages. */
    public static final String SUPPORTED = "llama, mistral, qwen2, qwen3, gemma3_text, gemma3 (with text_config), gpt_neox";

    public enum Norm {
        RMS, RMS_UNIT_OFFSET, LAYER
    }

    /** The MLP: gated (gate_proj, up_proj, down_proj) or plain (dense_h_to_4h, dense_4h_to_h). */
    public enum Mlp {
        SWIGLU(true), GEGLU_TANH(true), GELU(false), GELU_TANH(false);

        public final boolean gated;

        Mlp(boolean gated) {
            this.gated = gated;
        }
    }

    public enum LayerType {
        FULL("full_attention"), SLIDING("sliding_attention");

        public final String hfName;

        LayerType(String hfName) {
            this.hfName = hfName;
        }
    }

    public DecoderConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("num_key_value_heads", numKvHeads);
        positive("head_dim", headDim);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("config.json: num_attention_heads " + numHeads
                    + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("config.json: norm epsilon must be positive, got " + normEps);
        }
        finite("embedding scale", embeddingScale, false);
        finite("attention scale", attentionScale, false);
        finite("attn_logit_softcapping", attnSoftcap, true);
        finite("final_logit_softcapping", finalSoftcap, true);
        layerTypes = List.copyOf(layerTypes);
        eosTokenIds = List.copyOf(eosTokenIds);
        if (layerTypes.size() != numLayers) {
            throw new IllegalArgumentException("config.json: layer_types has " + layerTypes.size() + " entries for "
                    + numLayers + " layers");
        }
        if (layerTypes.contains(LayerType.SLIDING) && slidingWindow <= 0) {
            throw new IllegalArgumentException("config.json: sliding-window layers need a positive sliding_window, got "
                    + slidingWindow);
        }
        if (rope == null || slidingRope == null) {
            throw new IllegalArgumentException("config.json: rope settings are missing");
        }
        if (rope.headSize() != headDim || slidingRope.headSize() != headDim) {
            throw new IllegalArgumentException("rope head size " + rope.headSize() + " differs from head_dim " + headDim);
        }
        boolean neox = family == Family.GPT_NEOX;
        if (neox != (norm == Norm.LAYER) || neox == mlp.gated) {
            throw new IllegalArgumentException(family.modelType + ": norm " + norm + " and MLP " + mlp
                    + " do not fit its weight layout (GPT-NeoX: LayerNorm and a plain MLP; others: RMSNorm and a gated MLP)");
        }
        if (!neox && parallelResidual) {
            throw new IllegalArgumentException(family.modelType + ": parallel residual exists only in gpt_neox");
        }
        if (neox && (qkNorm || postNorms)) {
            throw new IllegalArgumentException("gpt_neox has no q/k norms or post-norms");
        }
        if (neox && numKvHeads != numHeads) {
            throw new IllegalArgumentException("gpt_neox: the fused query_key_value needs as many kv heads as heads");
        }
    }

    /** NH·HS: the width of q and of the attention output. */
    public int queryWidth() {
        return numHeads * headDim;
    }

    /** KVH·HS: the width of k and v. */
    public int kvWidth() {
        return numKvHeads * headDim;
    }

    /** The rope settings of layer {@code l}. */
    public Rope.Config ropeOf(int l) {
        return layerTypes.get(l) == LayerType.SLIDING ? slidingRope : rope;
    }

    /** The attention window of layer {@code l} (0 = none). */
    public int windowOf(int l) {
        return layerTypes.get(l) == LayerType.SLIDING ? slidingWindow : 0;
    }

    // ------------------------------------------------------------------------------------------ parsing

    /** Reads a parsed {@code config.json}; see the class comment for the defaults. */
    public static DecoderConfig fromJson(JsonNode root) {
        String type = root.path("model_type").asText("");
        Family family = Family.of(type);
        JsonNode c = root;
        if (type.equals("gemma3")) {
            c = root.get("text_config");
            if (c == null || !c.isObject()) {
                throw new IllegalArgumentException("config.json: model_type 'gemma3' needs a text_config object");
            }
            if (!c.has("tie_word_embeddings") && root.has("tie_word_embeddings")) {
                c = ((com.fasterxml.jackson.databind.node.ObjectNode) c.deepCopy())
                        .set("tie_word_embeddings", root.get("tie_word_embeddings"));
            }
            if (!c.has("eos_token_id") && root.has("eos_token_id")) {
                c = ((com.fasterxml.jackson.databind.node.ObjectNode) c.deepCopy()).set("eos_token_id", root.get("eos_token_id"));
            }
        }
        return switch (family) {
            case LLAMA, MISTRAL, QWEN2, QWEN3 -> llamaLike(c, family);
            case GEMMA3 -> gemma3(c);
            case GPT_NEOX -> gptNeox(c);
        };
    }

    private static DecoderConfig llamaLike(JsonNode c, Family f) {
        boolean mistral = f == Family.MISTRAL;
        boolean qwen = f == Family.QWEN2 || f == Family.QWEN3;
        int vocab = integer(c, "vocab_size", qwen ? 151936 : 32000);
        int hidden = integer(c, "hidden_size", 4096);
        int inter = integer(c, "intermediate_size", mistral ? 14336 : qwen ? 22016 : 11008);
        int layers = integer(c, "num_hidden_layers", 32);
        int heads = integer(c, "num_attention_heads", 32);
        int kvHeads = integer(c, "num_key_value_heads", mistral ? 8 : heads);
        int maxPos = integer(c, "max_position_embeddings", mistral ? 4096 * 32 : qwen ? 32768 : 2048);
        int headDim = f == Family.QWEN3 ? integer(c, "head_dim", 128) : integer(c, "head_dim", hidden / positive("num_attention_heads", heads));
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("config.json: hidden_act '" + act + "' is not supported for " + f.modelType + " (silu)");
        }
        boolean attentionBias = bool(c, "attention_bias", false);
        boolean qkvBias = f == Family.QWEN2 || attentionBias; // Qwen2 always has q/k/v biases and no o_proj bias
        boolean outputBias = f != Family.QWEN2 && attentionBias;
        // Sliding windows: Mistral on every layer when set; Qwen on layers ≥ max_window_layers when use_sliding_window.
        int window = 0;
        List<LayerType> types;
        if (mistral) {
            window = nullableInteger(c, "sliding_window", 4096);
            types = repeat(window > 0 ? LayerType.SLIDING : LayerType.FULL, layers);
        } else if (qwen) {
            boolean use = bool(c, "use_sliding_window", false);
            window = use ? nullableInteger(c, "sliding_window", 4096) : 0;
            int maxWindowLayers = integer(c, "max_window_layers", 28);
            types = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                types.add(window > 0 && i >= maxWindowLayers ? LayerType.SLIDING : LayerType.FULL);
            }
            if (c.hasNonNull("layer_types")) {
                types = layerTypes(c, layers);
                if (!types.contains(LayerType.SLIDING)) {
                    window = 0;
                }
            }
        } else {
            types = repeat(LayerType.FULL, layers);
        }
        Rope.Config rope = rope(c, "full_attention", 10000, headDim, headDim, maxPos);
        return new DecoderConfig(f, vocab, hidden, layers, heads, kvHeads, headDim, inter, maxPos, Norm.RMS,
                (float) number(c, "rms_norm_eps", 1e-6), Mlp.SWIGLU, qkvBias, outputBias, bool(c, "mlp_bias", false),
                f == Family.QWEN3, false, 1f, (float) (1 / Math.sqrt(headDim)), 0f, 0f, types, window, rope, rope,
                bool(c, "tie_word_embeddings", false), false, tokenIds(c, "eos_token_id"));
    }

    private static DecoderConfig gemma3(JsonNode c) {
        int hidden = integer(c, "hidden_size", 2304);
        int layers = integer(c, "num_hidden_layers", 26);
        int headDim = integer(c, "head_dim", 256);
        int maxPos = integer(c, "max_position_embeddings", 131072);
        String act = c.path("hidden_activation").asText("gelu_pytorch_tanh");
        if (!act.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException("config.json: hidden_activation '" + act + "' is not supported for gemma3 (gelu_pytorch_tanh)");
        }
        if (bool(c, "use_bidirectional_attention", false)) {
            throw new IllegalArgumentException("config.json: use_bidirectional_attention = true (an embedding model) is not supported;"
                    + " supported: causal gemma3 text models");
        }
        List<LayerType> types;
        if (c.hasNonNull("layer_types")) {
            types = layerTypes(c, layers);
        } else {
            int pattern = c.hasNonNull("sliding_window_pattern") ? integer(c, "sliding_window_pattern", 6)
                    : integer(c, "_sliding_window_pattern", 6);
            positive("sliding_window_pattern", pattern);
            types = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                types.add((i + 1) % pattern != 0 ? LayerType.SLIDING : LayerType.FULL);
            }
        }
        Rope.Config global = rope(c, "full_attention", 1_000_000, headDim, headDim, maxPos);
        Rope.Config local;
        JsonNode params = c.get("rope_parameters");
        if (params != null && params.has("sliding_attention")) {
            local = rope(c, "sliding_attention", 10000, headDim, headDim, maxPos);
        } else {
            local = Rope.Config.of(headDim, number(c, "rope_local_base_freq", 10000));
        }
        double queryScalar = number(c, "query_pre_attn_scalar", 256);
        if (!(queryScalar > 0)) {
            throw new IllegalArgumentException("config.json: query_pre_attn_scalar must be positive, got " + queryScalar);
        }
        return new DecoderConfig(Family.GEMMA3, integer(c, "vocab_size", 262208), hidden, layers,
                integer(c, "num_attention_heads", 8), integer(c, "num_key_value_heads", 4), headDim,
                integer(c, "intermediate_size", 9216), maxPos, Norm.RMS_UNIT_OFFSET, (float) number(c, "rms_norm_eps", 1e-6),
                Mlp.GEGLU_TANH, bool(c, "attention_bias", false), bool(c, "attention_bias", false), false, true, true,
                (float) Math.sqrt(hidden), (float) (1 / Math.sqrt(queryScalar)),
                (float) number(c, "attn_logit_softcapping", 0), (float) number(c, "final_logit_softcapping", 0),
                types, types.contains(LayerType.SLIDING) ? nullableInteger(c, "sliding_window", 4096) : 0, global, local,
                bool(c, "tie_word_embeddings", true), false, tokenIds(c, "eos_token_id"));
    }

    private static DecoderConfig gptNeox(JsonNode c) {
        int hidden = integer(c, "hidden_size", 6144);
        int heads = integer(c, "num_attention_heads", 64);
        int layers = integer(c, "num_hidden_layers", 44);
        int maxPos = integer(c, "max_position_embeddings", 2048);
        int headDim = hidden / positive("num_attention_heads", heads);
        if (headDim * heads != hidden) {
            throw new IllegalArgumentException("config.json: hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
        }
        JsonNode params = c.get("rope_parameters");
        // rotary_pct; newer files also (or only) write partial_rotary_factor, at the top or in rope_parameters
        double pct = params != null && params.hasNonNull("partial_rotary_factor") ? number(params, "partial_rotary_factor", 0.25)
                : c.hasNonNull("partial_rotary_factor") ? number(c, "partial_rotary_factor", 0.25)
                : number(c, "rotary_pct", 0.25);
        int rotaryDim = (int) (headDim * pct);
        String act = c.path("hidden_act").asText("gelu");
        Mlp mlp = switch (act) {
            case "gelu" -> Mlp.GELU;
            case "gelu_new", "gelu_pytorch_tanh" -> Mlp.GELU_TANH;
            default -> throw new IllegalArgumentException("config.json: hidden_act '" + act
                    + "' is not supported for gpt_neox (gelu, gelu_new, gelu_pytorch_tanh)");
        };
        double theta = number(c, "rotary_emb_base", 10000);
        Rope.Config rope = rope(c, "full_attention", theta, headDim, rotaryDim, maxPos);
        boolean bias = bool(c, "attention_bias", true);
        return new DecoderConfig(Family.GPT_NEOX, integer(c, "vocab_size", 50432), hidden, layers, heads, heads, headDim,
                integer(c, "intermediate_size", 24576), maxPos, Norm.LAYER, (float) number(c, "layer_norm_eps", 1e-5), mlp,
                bias, bias, true, false, false, 1f, (float) (1 / Math.sqrt(headDim)), 0f, 0f, repeat(LayerType.FULL, layers), 0,
                rope, rope, bool(c, "tie_word_embeddings", false), bool(c, "use_parallel_residual", true),
                tokenIds(c, "eos_token_id"));
    }

    /**
     * The rotary settings of one layer type: {@code rope_parameters} (transformers ≥ 5; either one
     * dict or one per layer type) or the older {@code rope_theta} + {@code rope_scaling}.
     */
    private static Rope.Config rope(JsonNode c, String layerType, double defaultTheta, int headDim, int rotaryDim, int maxPos) {
        JsonNode params = c.get("rope_parameters");
        if (params != null && params.isObject()) {
            JsonNode p = params.has(layerType) ? params.get(layerType) : params;
            return new Rope.Config(headDim, rotaryDim, number(p, "rope_theta", number(c, "rope_theta", defaultTheta)),
                    scaling(p, maxPos));
        }
        return new Rope.Config(headDim, rotaryDim, number(c, "rope_theta", defaultTheta), scaling(c.get("rope_scaling"), maxPos));
    }

    /** A {@code rope_scaling} (or {@code rope_parameters}) object: its {@code rope_type} (or {@code type}). */
    static Rope.Scaling scaling(JsonNode s, int maxPos) {
        if (s == null || s.isNull()) {
            return new Rope.Scaling.None();
        }
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("default");
        return switch (type) {
            case "default" -> new Rope.Scaling.None();
            case "linear" -> new Rope.Scaling.Linear(required(s, "factor"));
            case "llama3" -> new Rope.Scaling.Llama3(required(s, "factor"), required(s, "low_freq_factor"),
                    required(s, "high_freq_factor"), (int) required(s, "original_max_position_embeddings"));
            case "yarn" -> new Rope.Scaling.Yarn(required(s, "factor"), integer(s, "original_max_position_embeddings", maxPos),
                    number(s, "beta_fast", 32), number(s, "beta_slow", 1), number(s, "attention_factor", 0),
                    number(s, "mscale", 0), number(s, "mscale_all_dim", 0), bool(s, "truncate", true));
            default -> throw new IllegalArgumentException("config.json: rope type '" + type
                    + "' is not supported (supported: default, linear, llama3, yarn)");
        };
    }

    private static List<LayerType> layerTypes(JsonNode c, int layers) {
        JsonNode a = c.get("layer_types");
        if (!a.isArray() || a.size() != layers) {
            throw new IllegalArgumentException("config.json: layer_types must be a list of " + layers + " entries, got " + a);
        }
        List<LayerType> out = new ArrayList<>();
        for (JsonNode t : a) {
            out.add(switch (t.asText()) {
                case "full_attention" -> LayerType.FULL;
                case "sliding_attention" -> LayerType.SLIDING;
                default -> throw new IllegalArgumentException("config.json: layer type '" + t.asText()
                        + "' is not supported (full_attention, sliding_attention)");
            });
        }
        return out;
    }

    private static List<LayerType> repeat(LayerType t, int n) {
        LayerType[] a = new LayerType[n];
        Arrays.fill(a, t);
        return List.of(a);
    }

    private static List<Integer> tokenIds(JsonNode c, String key) {
        JsonNode v = c.get(key);
        List<Integer> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        if (v.isArray()) {
            v.forEach(e -> out.add(e.asInt()));
        } else if (v.isIntegralNumber()) {
            out.add(v.intValue());
        } else {
            throw new IllegalArgumentException("config.json: field '" + key + "' must be an integer or a list of integers, got " + v);
        }
        return out;
    }

    private static int integer(JsonNode c, String key, int dflt) {
        return ConfigJson.of(c, "config.json").getInt(key, dflt);
    }

    /** An integer where an explicit {@code null} means 0 (none) and absence means the default. */
    private static int nullableInteger(JsonNode c, String key, int dflt) {
        if (c.has(key) && c.get(key).isNull()) {
            return 0;
        }
        return integer(c, key, dflt);
    }

    private static double number(JsonNode c, String key, double dflt) {
        return ConfigJson.of(c, "config.json").getDouble(key, dflt);
    }

    private static double required(JsonNode c, String key) {
        if (!c.hasNonNull(key)) {
            throw new IllegalArgumentException("config.json: rope scaling needs '" + key + "'");
        }
        return number(c, key, 0);
    }

    private static boolean bool(JsonNode c, String key, boolean dflt) {
        return ConfigJson.of(c, "config.json").getBoolean(key, dflt);
    }

    private static int positive(String key, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("config.json: " + key + " must be positive, got " + v);
        }
        return v;
    }

    private static void finite(String what, float v, boolean zeroAllowed) {
        if (!Float.isFinite(v) || v < 0 || (!zeroAllowed && v == 0)) {
            throw new IllegalArgumentException("config.json: " + what + " must be a finite number " + (zeroAllowed ? ">= 0" : "> 0")
                    + ", got " + v);
        }
    }
}
