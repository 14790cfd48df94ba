package io.supportlm.model;

import java.util.Map;

/**
 * A transformer that turns token ids into hidden states and can backpropagate through itself:
 * what task heads (classification, language modelling) sit on. Its linear layers are reachable by
 * Hugging Face module name, so adapters can be attached without the model knowing about them.
 */
public interface Backbone {
    /** Per-batch-shape buffers (activations saved for backward), allocated once and reused. */
    interface Workspace {}

    String modelType();

    int hiddenSize();

    /** Every linear layer by module name (e.g. {@code encoder.layer.0.attention.self.query}). */
    Map<String, LinearLayer> linearLayers();

    /** Replaces the layer at {@code module}; its shape must match. */
    void replaceLinear(String module, LinearLayer layer);

    Workspace allocate(int maxBatch, int maxLength);

    /**
     * Runs B × T token ids ({@code mask} 1 for real tokens, null for none) and returns the last
     * hidden states (B, T, C), valid until the next forward on this workspace.
     */
    float[] forward(Workspace ws, int[] ids, int[] mask, int B, int T, boolean training, long seed, long step);

    /** Backpropagates the gradient of the last hidden states; adapters accumulate their gradients. */
    void backward(Workspace ws, float[] dHidden, boolean training, long seed, long step);
}
