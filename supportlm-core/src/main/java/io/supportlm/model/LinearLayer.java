package io.supportlm.model;

/**
 * A linear map inside a model, {@code out (M, out) = f(inp (M, in))}. The base model's layers are
 * {@link FrozenLinear}; parameter-efficient methods wrap them (a LoRA layer is a LinearLayer that
 * holds the frozen one), so model code never changes when an adapter is attached.
 */
public interface LinearLayer {
    int inFeatures();

    int outFeatures();

    /** {@code out (M × outFeatures) = layer(inp (M × inFeatures))}, overwriting out. */
    void forward(float[] out, int outOff, float[] inp, int inpOff, int M);

    /**
     * Accumulates {@code dInp} (may be null when nothing upstream needs it) and the layer's own
     * trainable gradients, given {@code dOut} and the forward input. Called once after each forward
     * with the same {@code inp}, before the next forward.
     */
    void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int M);
}
