package io.supportlm.model;

import io.supportlm.kernels.Linear;
import io.supportlm.tensor.Tensor;

/** A base-model linear layer: weight {@code [out, in]} in any float dtype, optional f32 bias; never trained. */
public final class FrozenLinear implements LinearLayer {
    private final Tensor weight; // (out, in)
    private final float[] bias; // (out) or null

    public FrozenLinear(Tensor weight, float[] bias) {
        if (weight.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be 2-D [out, in], got " + weight.shape());
        }
        if (bias != null && bias.length != weight.dim(0)) {
            throw new IllegalArgumentException("linear bias has " + bias.length + " values for " + weight.dim(0) + " outputs");
        }
        this.weight = weight;
        this.bias = bias;
    }

    public Tensor weight() {
        return weight;
    }

    public float[] bias() {
        return bias;
    }

    @Override
    public int inFeatures() {
        return weight.dim(1);
    }

    @Override
    public int outFeatures() {
        return weight.dim(0);
    }

    @Override
    public void forward(float[] out, int outOff, float[] inp, int inpOff, int M) {
        Linear.forward(out, outOff, inp, inpOff, weight, bias, M, inFeatures(), outFeatures());
    }

    @Override
    public void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int M) {
        if (dInp != null) {
            Linear.backward(dInp, dInpOff, null, null, dOut, dOutOff, inp, inpOff, weight, M, inFeatures(), outFeatures());
        }
    }
}
