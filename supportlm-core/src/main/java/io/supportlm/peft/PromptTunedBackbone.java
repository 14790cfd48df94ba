package io.supportlm.peft;

import io.supportlm.model.Backbone;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.bert.BertEncoder;
import java.util.Arrays;
import java.util.Map;

/**
 * A BERT encoder that runs every text after the {@link PromptTuning} virtual tokens and hands the
 * task head the hidden states of the text only: (B, T, C) for (B, T) ids, as without the prompt.
 * So pooling reads the real tokens whatever the prompt's length: CLS pooling the real [CLS] (at
 * position N of the encoder's rows), mean pooling the text's tokens under its mask. (PEFT's BERT
 * pooler would read position 0, the first virtual token; heads here never see virtual tokens.)
 * Backward routes the text's gradient into the encoder and collects the prompt embeddings'.
 */
public final class PromptTunedBackbone implements Backbone {
    private final BertEncoder encoder;
    private final PromptTuning prompt;

    PromptTunedBackbone(BertEncoder encoder, PromptTuning prompt) {
        this.encoder = encoder;
        this.prompt = prompt;
    }

    public BertEncoder encoder() {
        return encoder;
    }

    public PromptTuning prompt() {
        return prompt;
    }

    /** The encoder's activations for rows N longer than the text, and the text's slice of them. */
    static final class Workspace implements Backbone.Workspace {
        final BertEncoder.Activations activations;
        final float[] hidden; // (B, T, C): the text's hidden states
        final float[] dFull; // (B, N + T, C)
        int B, T;

        Workspace(BertEncoder.Activations activations, int maxB, int maxT, int N, int C) {
            this.activations = activations;
            this.hidden = new float[maxB * maxT * C];
            this.dFull = new float[maxB * (N + maxT) * C];
        }
    }

    @Override
    public String modelType() {
        return encoder.modelType();
    }

    @Override
    public int hiddenSize() {
        return encoder.hiddenSize();
    }

    @Override
    public Map<String, LinearLayer> linearLayers() {
        return encoder.linearLayers();
    }

    @Override
    public void replaceLinear(String module, LinearLayer layer) {
        encoder.replaceLinear(module, layer);
    }

    @Override
    public Backbone.Workspace allocate(int maxBatch, int maxLength) {
        int N = prompt.numVirtualTokens();
        return new Workspace(encoder.allocate(maxBatch, N + maxLength), maxBatch, maxLength, N, hiddenSize());
    }

    @Override
    public float[] forward(Backbone.Workspace ws, int[] ids, int[] mask, int B, int T, boolean training, long seed, long step) {
        Workspace w = (Workspace) ws;
        int N = prompt.numVirtualTokens();
        int C = hiddenSize();
        encoder.forward(w.activations, prompt.embeddings(), N, ids, null, mask, B, T, training, seed, step);
        float[] full = w.activations.lastHidden();
        for (int b = 0; b < B; b++) {
            System.arraycopy(full, (b * (N + T) + N) * C, w.hidden, b * T * C, T * C);
        }
        w.B = B;
        w.T = T;
        return w.hidden;
    }

    /** Adds the prompt embeddings' gradient to {@link PromptTuning#grads()}; the encoder stays frozen. */
    @Override
    public void backward(Backbone.Workspace ws, float[] dHidden, boolean training, long seed, long step) {
        Workspace w = (Workspace) ws;
        int N = prompt.numVirtualTokens();
        int C = hiddenSize();
        int S = N + w.T;
        for (int b = 0; b < w.B; b++) {
            Arrays.fill(w.dFull, b * S * C, (b * S + N) * C, 0f);
            System.arraycopy(dHidden, b * w.T * C, w.dFull, (b * S + N) * C, w.T * C);
        }
        encoder.backward(w.activations, w.dFull, prompt.grads(), training, seed, step);
    }
}
