package io.supportlm.model.decoder;

import io.supportlm.model.Backbone;
import io.supportlm.model.LinearLayer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A decoder as the {@link Backbone} of a classifier ({@code *ForSequenceClassification}): the
 * final hidden states feed task heads (pooled at the last real token), so the language-model head
 * is never run and is not offered to adapters, as PEFT's "all-linear" leaves it out.
 */
public final class DecoderBackbone implements Backbone {
    private final DecoderModel model;
    private final boolean offersLmHead;

    public DecoderBackbone(DecoderModel model) {
        this(model, false);
    }

    /**
     * With {@code offersLmHead}, {@link #linearLayers} lists the LM head too, so an adapter that
     * names it ({@code lm_head}, {@code embed_out}) can target it when training a language model;
     * PEFT's "all-linear" still leaves it out (see {@link io.supportlm.peft.LoraConfig#targets}).
     */
    public DecoderBackbone(DecoderModel model, boolean offersLmHead) {
        this.model = model;
        this.offersLmHead = offersLmHead;
    }

    public DecoderModel model() {
        return model;
    }

    @Override
    public String modelType() {
        return model.config().family().modelType;
    }

    @Override
    public int hiddenSize() {
        return model.config().hiddenSize();
    }

    @Override
    public Map<String, LinearLayer> linearLayers() {
        Map<String, LinearLayer> out = new LinkedHashMap<>(model.linearLayers());
        if (!offersLmHead) {
            out.remove(DecoderWeights.lmHeadName(model.config().family()));
        }
        return out;
    }

    @Override
    public void replaceLinear(String module, LinearLayer layer) {
        if (!offersLmHead && module.equals(DecoderWeights.lmHeadName(model.config().family()))) {
            throw new IllegalArgumentException(module + ": a classifier does not use the language-model head");
        }
        model.replaceLinear(module, layer);
    }

    private record Workspace(DecoderActivations activations) implements Backbone.Workspace {}

    @Override
    public Backbone.Workspace allocate(int maxBatch, int maxLength) {
        return new Workspace(model.allocate(maxBatch, maxLength, 1));
    }

    /** Decoders apply no dropout: {@code training}, {@code seed} and {@code step} change nothing here. */
    @Override
    public float[] forward(Backbone.Workspace ws, int[] ids, int[] mask, int B, int T, boolean training, long seed, long step) {
        DecoderActivations a = ((Workspace) ws).activations();
        model.forward(a, ids, mask, null, B, T);
        return a.hidden();
    }

    @Override
    public void backward(Backbone.Workspace ws, float[] dHidden, boolean training, long seed, long step) {
        model.backward(((Workspace) ws).activations(), dHidden);
    }
}
