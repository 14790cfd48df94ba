package io.supportlm.peft;

import io.supportlm.kernels.Dropout;
import io.supportlm.kernels.Gemm;
import io.supportlm.kernels.Linear;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LinearLayer;
import io.supportlm.tensor.Tensor;
import java.util.Arrays;
import java.util.Random;

/**
 * A LoRA adapter around a frozen linear layer (Hu et al., 2021; Hugging Face PEFT's
 * {@code tuners/lora/layer.py}): {@code y = base(x) + s · dropout(x)·Aᵀ·Bᵀ} with {@code A} (r, in),
 * {@code B} (out, r) and {@code s = alpha / r}, or {@code alpha / √r} with rsLoRA. A is initialized
 * Kaiming-uniform as PEFT does, B to zero, so a new adapter changes nothing. The base is never
 * modified; backward yields dX, dA and dB only.
 */
public final class LoraLinear implements LinearLayer {
    private final LinearLayer base;
    private final int rank;
    private final float scale;
    private final float dropout;
    private final DropoutSchedule schedule;
    private final long site;
    private boolean enabled = true;
    private final float[] a; // (r, in)
    private final float[] b; // (out, r)
    private final float[] dA; // (r, in)
    private final float[] dB; // (out, r)
    private float[] xa = new float[0]; // (M, r): s · dropout(x)·Aᵀ, saved for backward
    private float[] xDropped = new float[0]; // (M, in): dropout(x), saved when dropout is on
    private float[] dXa = new float[0]; // (M, r) scratch
    private float[] dXDropped = new float[0]; // (M, in) scratch

    /** A new adapter: A Kaiming-uniform from {@code rng}, B zero. */
    public LoraLinear(LinearLayer base, LoraConfig config, Random rng, DropoutSchedule schedule, long site) {
        this(base, config.r(), config.scale(), config.dropout(), schedule, site,
                kaimingUniform(rng, config.r(), base.inFeatures()), new float[base.outFeatures() * config.r()]);
    }

    /** An adapter with given matrices (loaded from a file). */
    public LoraLinear(LinearLayer base, int rank, float scale, float dropout, DropoutSchedule schedule, long site,
                      float[] a, float[] b) {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
        }
        if (a.length != rank * base.inFeatures() || b.length != base.outFeatures() * rank) {
            throw new IllegalArgumentException("LoRA matrices must be A [" + rank + ", " + base.inFeatures() + "] and B ["
                    + base.outFeatures() + ", " + rank + "], got " + a.length + " and " + b.length + " values");
        }
        this.base = base;
        this.rank = rank;
        this.scale = scale;
        this.dropout = dropout;
        this.schedule = schedule;
        this.site = site;
        this.a = a;
        this.b = b;
        this.dA = new float[a.length];
        this.dB = new float[b.length];
    }

    /**
     * PEFT's default init: {@code kaiming_uniform_(A, a=√5)}, i.e. U(-1/√in, 1/√in) — the
     * gain √(2/(1+5)) times √(3/fan_in).
     */
    static float[] kaimingUniform(Random rng, int rows, int fanIn) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        float[] w = new float[rows * fanIn];
        for (int i = 0; i < w.length; i++) {
            w[i] = (rng.nextFloat() * 2 - 1) * bound;
        }
        return w;
    }

    public LinearLayer base() {
        return base;
    }

    public int rank() {
        return rank;
    }

    public float scale() {
        return scale;
    }

    /** The trainable matrices and their gradients (A, B, dA, dB): views, not copies. */
    public float[] a() {
        return a;
    }

    public float[] b() {
        return b;
    }

    public float[] gradA() {
        return dA;
    }

    public float[] gradB() {
        return dB;
    }

    /**
     * Switches the adapter on or off: off, the layer is exactly its base (DPO's reference model is
     * the same base with every adapter off, no second copy of the weights). Switch between a
     * forward and its backward never.
     */
    public void setEnabled(boolean on) {
        this.enabled = on;
    }

    public boolean enabled() {
        return enabled;
    }

    @Override
    public int inFeatures() {
        return base.inFeatures();
    }

    @Override
    public int outFeatures() {
        return base.outFeatures();
    }

    private boolean dropping() {
        return dropout > 0 && schedule.training();
    }

    private long seed() {
        return Dropout.seed(schedule.seed(), schedule.step(), 1_000_000L + site);
    }

    private void ensure(int M) {
        int in = inFeatures();
        if (xa.length < M * rank) {
            xa = new float[M * rank];
            dXa = new float[M * rank];
        }
        if (dropout > 0 && xDropped.length < M * in) {
            xDropped = new float[M * in];
            dXDropped = new float[M * in];
        }
    }

    @Override
    public void forward(float[] out, int outOff, float[] inp, int inpOff, int M) {
        int in = inFeatures();
        int N = outFeatures();
        base.forward(out, outOff, inp, inpOff, M);
        if (!enabled) {
            return;
        }
        ensure(M);
        float[] x = inp;
        int xOff = inpOff;
        if (dropping()) {
            Dropout.forward(xDropped, 0, inp, inpOff, M * in, dropout, seed());
            x = xDropped;
            xOff = 0;
        }
        Linear.forward(xa, 0, x, xOff, Tensor.wrap(a, rank, in), null, M, in, rank);
        for (int i = 0; i < M * rank; i++) {
            xa[i] *= scale;
        }
        // out += (s·x·Aᵀ) · Bᵀ
        Gemm.multiplyAdd(M, N, rank, Gemm.Strided.rowMajor(xa, 0, rank), Gemm.Operand.of(Tensor.wrap(b, N, rank), true),
                out, outOff, N);
    }

    @Override
    public void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, float[] inp, int inpOff, int M) {
        int in = inFeatures();
        int N = outFeatures();
        base.backward(dInp, dInpOff, dOut, dOutOff, inp, inpOff, M);
        if (!enabled) {
            return;
        }
        Tensor bT = Tensor.wrap(b, N, rank);
        // dB += dOutᵀ · xa (xa already carries s); dXa = dOut · B
        Arrays.fill(dXa, 0, M * rank, 0f);
        Linear.backward(dXa, 0, dB, null, dOut, dOutOff, xa, 0, bT, M, rank, N);
        for (int i = 0; i < M * rank; i++) {
            dXa[i] *= scale;
        }
        // dA += dXaᵀ · dropout(x); d dropout(x) = dXa · A
        boolean dropping = dropping();
        float[] x = dropping ? xDropped : inp;
        int xOff = dropping ? 0 : inpOff;
        if (dInp == null) {
            Linear.backward(null, 0, dA, null, dXa, 0, x, xOff, Tensor.wrap(a, rank, in), M, in, rank);
        } else if (dropping) {
            Arrays.fill(dXDropped, 0, M * in, 0f);
            Linear.backward(dXDropped, 0, dA, null, dXa, 0, x, xOff, Tensor.wrap(a, rank, in), M, in, rank);
            Dropout.backward(dInp, dInpOff, dXDropped, 0, M * in, dropout, seed());
        } else {
            Linear.backward(dInp, dInpOff, dA, null, dXa, 0, x, xOff, Tensor.wrap(a, rank, in), M, in, rank);
        }
    }

    /** {@code ΔW = s · B·A}, (out, in): what merging adds to the base weight. */
    public float[] deltaWeight() {
        int in = inFeatures();
        int N = outFeatures();
        float[] delta = new float[N * in];
        for (int o = 0; o < N; o++) {
            for (int r = 0; r < rank; r++) {
                float bor = scale * b[o * rank + r];
                if (bor == 0f) {
                    continue;
                }
                for (int i = 0; i < in; i++) {
                    delta[o * in + i] += bor * a[r * in + i];
                }
            }
        }
        return delta;
    }

    /**
     * The base layer with the adapter folded in, {@code W + s·B·A}, in f32; refuses a result with
     * non-finite values rather than writing a broken checkpoint.
     */
    public FrozenLinear merged() {
        if (!(base instanceof FrozenLinear frozen)) {
            throw new IllegalStateException("only an adapter on a plain frozen layer can be merged here; an adapter on a "
                    + base.getClass().getSimpleName() + " (QLoRA) merges into the original weights with Merge.intoOriginal");
        }
        float[] w = frozen.weight().toFloatArray();
        float[] delta = deltaWeight();
        for (int i = 0; i < w.length; i++) {
            w[i] += delta[i];
            if (!Float.isFinite(w[i])) {
                throw new IllegalStateException("merging the LoRA adapter gives a non-finite weight at element " + i);
            }
        }
        return new FrozenLinear(Tensor.wrap(w, outFeatures(), inFeatures()), frozen.bias());
    }
}
