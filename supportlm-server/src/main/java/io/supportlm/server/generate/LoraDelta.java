package io.supportlm.server.generate;

import io.supportlm.kernels.Gemm;
import io.supportlm.kernels.Linear;
import io.supportlm.model.LinearLayer;
import io.supportlm.tensor.Tensor;

/**
 * A served LoRA layer: {@code y = base(x) + scale · (x·Aᵀ)·Bᵀ} over a shared frozen base layer,
 * for inference only. Unlike the trainer's {@code LoraLinear} it keeps no state between calls —
 * the {@code (M, r)} intermediate is allocated per call (r floats per row: one decoded token costs
 * a few dozen bytes) — so concurrent requests may run through the same layer.
 */
final class LoraDelta implements LinearLayer {
    private final LinearLayer base;
    private final int rank;
    private final float scale;
    private final Tensor a; // (r, in)
    private final Gemm.Operand bT; // B (out, r), read transposed

    LoraDelta(LinearLayer base, PeftLora.Module m, String module) {
        if (m.inFeatures() != base.inFeatures() || m.outFeatures() != base.outFeatures()) {
            throw new IllegalArgumentException(module + ": the adapter maps " + m.inFeatures() + "→" + m.outFeatures()
                    + ", the model's layer maps " + base.inFeatures() + "→" + base.outFeatures());
        }
        this.base = base;
        this.rank = m.rank();
        this.scale = m.scale();
        this.a = Tensor.wrap(m.a(), m.rank(), m.inFeatures());
        this.bT = Gemm.Operand.of(Tensor.wrap(m.b(), m.outFeatures(), m.rank()), true);
    }

    @Override
    public int inFeatures() {
        return base.inFeatures();
    }

    @Override
    public int outFeatures() {
        return base.outFeatures();
    }

    @Override
    public void forward(float[] out, int outOff, float[] inp, int inpOff, int M) {
        base.forward(out, outOff, inp, inpOff, M);
        float[] xa = new float[M * rank];
        Linear.forward(xa, 0, inp, inpOff, a, null, M, inFeatures(), rank);
        for (int i = 0; i < xa.length; i++) {
            xa[i] *= scale;
        }
        Gemm.multiplyAdd(M, outFeatures(), rank, Gemm.Strided.rowMajor(xa, 0, rank), bT, out, outOff, outFeatures());
    }

    @Override
    public void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int M) {
        throw new UnsupportedOperationException("a served LoRA adapter is for inference; train with the trainer's LoraLinear");
    }
}
