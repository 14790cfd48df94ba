package io.supportlm.model;

/**
 * A trainable tensor and its gradient, by name: what an optimizer updates. {@code values} and
 * {@code grads} are the live arrays of the layer that owns them, not copies.
 */
public record Parameter(String name, float[] values, float[] grads) {
    public Parameter {
        if (values.length != grads.length) {
            throw new IllegalArgumentException("parameter " + name + ": " + values.length + " values but " + grads.length + " gradients");
        }
    }

    public void zeroGrad() {
        java.util.Arrays.fill(grads, 0f);
    }
}
