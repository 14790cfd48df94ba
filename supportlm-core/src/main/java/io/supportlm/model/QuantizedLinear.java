package io.supportlm.model;

import io.supportlm.kernels.Linear;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;

/**
 * A frozen linear layer whose weight is stored quantized (QLoRA's base: NF4, or INT8), dequantized
 * inside the matmul; the bias stays f32. Being frozen, its backward computes only dX. It keeps no
 * copy of the original-precision weight: merging an adapter goes back to the checkpoint's
 * weights (see {@code io.supportlm.peft.Merge}), never to this lossy copy.
 */
public final class QuantizedLinear implements LinearLayer {
    private final QuantizedTensor weight; // (out, in)
    private final float[] bias; // (out) or null

    public QuantizedLinear(QuantizedTensor weight, float[] bias) {
        if (weight.shape().rank() != 2) {
            throw new IllegalArgumentException("linear weight must be 2-D [out, in], got " + weight.shape());
        }
        if (bias != null && bias.length != weight.dim(0)) {
            throw new IllegalArgumentException("linear bias has " + bias.length + " values for " + weight.dim(0) + " outputs");
        }
        this.weight = weight;
        this.bias = bias;
    }

    /** Quantizes a frozen layer's weight; {@code name} labels errors (a non-finite weight). */
    public static QuantizedLinear of(String name, FrozenLinear base, QuantScheme scheme) {
        return new QuantizedLinear(QuantizedTensor.quantize(name + ".weight", base.weight(), scheme), base.bias());
    }

    public QuantizedTensor weight() {
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
            Linear.backwardInput(dInp, dInpOff, dOut, dOutOff, weight, M, inFeatures(), outFeatures());
        }
    }
}
