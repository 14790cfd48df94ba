package io.supportlm.peft;

import io.supportlm.kernels.Embedding;
import io.supportlm.model.Parameter;
import io.supportlm.model.bert.BertEncoder;
import java.util.List;
import java.util.Random;

/**
 * Prompt tuning (PEFT's {@code PROMPT_TUNING}): {@code N} trainable virtual-token embeddings
 * placed before every text, the base model frozen. The embeddings are the one tensor PEFT saves,
 * {@code prompt_embeddings} of shape {@code [num_virtual_tokens, token_dim]}.
 *
 * <p>Initialization follows PEFT: {@link Init#RANDOM} draws each value from N(0, 1), as
 * {@code torch.nn.Embedding} does by default; {@link Init#TEXT} takes the word embeddings of the
 * init text's token ids (special tokens included, as PEFT calls the tokenizer), the ids cut to N
 * when longer, repeated and cut to N when shorter.
 */
public final class PromptTuning {
    /** How the virtual tokens start: PEFT's {@code prompt_tuning_init}. */
    public enum Init { RANDOM, TEXT }

    /** The adapter's settings, as {@code adapter_config.json} records them ({@code initText} null for RANDOM). */
    public record Config(int numVirtualTokens, Init init, String initText) {
        public Config {
            if (numVirtualTokens < 1) {
                throw new IllegalArgumentException("prompt.num_virtual_tokens must be at least 1, got " + numVirtualTokens);
            }
            if (init == Init.TEXT && (initText == null || initText.isBlank())) {
                throw new IllegalArgumentException("prompt.init_text is required when prompt.init is text");
            }
        }
    }

    public static final String TENSOR = "prompt_embeddings";

    private final Config config;
    private final int tokenDim;
    private final float[] embeddings; // (N, C)
    private final float[] grads; // (N, C)

    private PromptTuning(Config config, int tokenDim, float[] embeddings) {
        if (embeddings.length != config.numVirtualTokens() * tokenDim) {
            throw new IllegalArgumentException(TENSOR + " must be [" + config.numVirtualTokens() + ", " + tokenDim + "], got "
                    + embeddings.length + " values");
        }
        this.config = config;
        this.tokenDim = tokenDim;
        this.embeddings = embeddings;
        this.grads = new float[embeddings.length];
    }

    /** RANDOM init: every value from N(0, 1), seeded. */
    public static PromptTuning random(Config config, int tokenDim, long seed) {
        Random rng = new Random(seed);
        float[] e = new float[config.numVirtualTokens() * tokenDim];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) rng.nextGaussian();
        }
        return new PromptTuning(config, tokenDim, e);
    }

    /** TEXT init: the encoder's word embeddings of {@code initTextIds} (the tokenized init text), cut or repeated to N. */
    public static PromptTuning fromText(Config config, int[] initTextIds, BertEncoder encoder) {
        if (initTextIds.length == 0) {
            throw new IllegalArgumentException("prompt.init_text '" + config.initText() + "' tokenizes to no tokens");
        }
        int n = config.numVirtualTokens();
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = initTextIds[i % initTextIds.length];
        }
        int C = encoder.hiddenSize();
        float[] e = new float[n * C];
        Embedding.forward(e, 0, ids, 0, encoder.weights().wordEmbeddings(), 1, n);
        return new PromptTuning(config, C, e);
    }

    /** Trained embeddings read back from an adapter file ({@code [N, C]}). */
    public static PromptTuning of(Config config, int tokenDim, float[] embeddings) {
        return new PromptTuning(config, tokenDim, embeddings);
    }

    /** The encoder with these virtual tokens before every text: what the classifier runs on. */
    public PromptTunedBackbone wrap(BertEncoder encoder) {
        if (encoder.hiddenSize() != tokenDim) {
            throw new IllegalArgumentException("prompt embeddings have token_dim " + tokenDim + ", the model's hidden size is "
                    + encoder.hiddenSize());
        }
        return new PromptTunedBackbone(encoder, this);
    }

    public Config config() {
        return config;
    }

    public int numVirtualTokens() {
        return config.numVirtualTokens();
    }

    public int tokenDim() {
        return tokenDim;
    }

    /** The live (N, C) embeddings. */
    public float[] embeddings() {
        return embeddings;
    }

    /** The live gradient of {@link #embeddings()}. */
    public float[] grads() {
        return grads;
    }

    /** The one trainable tensor, PEFT-named. */
    public List<Parameter> parameters() {
        return List.of(new Parameter(TENSOR, embeddings, grads));
    }
}
