package io.supportlm.model;

import io.supportlm.kernels.Linear;
import io.supportlm.tensor.Tensor;

/** A fully trainable linear layer for tests: lets finite differences probe a model's backward end to end. */
public final class TrainableLinear implements LinearLayer {
    public final float[] weight; // (out, in)
    public final float[] bias; // (out)
    public final float[] dWeight;
    public final float[] dBias;
    private final int in;
    private final int out;

    public TrainableLinear(float[] weight, float[] bias, int out, int in) {
        this.weight = weight;
        this.bias = bias;
        this.dWeight = new float[weight.length];
        this.dBias = new float[bias.length];
        this.in = in;
        this.out = out;
    }

    /** A trainable copy; a layer without bias gets a zero bias (same outputs, and its gradient can be checked too). */
    public static TrainableLinear copyOf(FrozenLinear base) {
        float[] bias = base.bias() == null ? new float[base.outFeatures()] : base.bias().clone();
        return new TrainableLinear(base.weight().toFloatArray(), bias, base.outFeatures(), base.inFeatures());
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public void forward(float[] o, int oOff, float[] inp, int inpOff, int M) {
        Linear.forward(o, oOff, inp, inpOff, Tensor.wrap(weight, out, in), bias, M, in, out);
    }

    @Override
    public void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int M) {
        Linear.backward(dInp, dInpOff, dWeight, dBias, dOut, dOutOff, inp, inpOff, Tensor.wrap(weight, out, in), M, in, out);
    }
}
