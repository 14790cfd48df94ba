package io.supportlm.model.decoder;

import java.util.Arrays;

/**
 * The buffers of {@link DecoderModel} for one batch shape, allocated once and reused every step.
 * Letters: L layers, N = B·T tokens, C hidden, QW = NH·HS query width, KW = KVH·HS key width,
 * I intermediate, V vocabulary, R the most rows whose logits are wanted at once.
 *
 * <p>For training every layer keeps its own buffers (backward reads them). For inference
 * ({@code training = false}) the layers share one set, the residual stream alternates between two
 * buffers, and there are no gradient buffers: memory no longer grows with the layer count.
 *
 * <p>With gradient checkpointing ({@code checkpointing = true}) training keeps only each layer's
 * input {@code x[l]}; every other per-layer buffer is shared as for inference, and backward
 * recomputes a layer's activations from its input just before differentiating it. Memory for
 * saved activations drops from about {@code L·(4C + 3QW + 3I + …)·N} floats to
 * {@code (L + 1)·C·N} plus one layer's worth, for one extra forward per step.
 */
public final class DecoderActivations {
    final int maxB, maxT, maxLogitRows;
    final boolean training, checkpointing;
    int B, T;
    boolean hasMask, hasSegments;
    final int[] ids, mask, positions, segments; // (N)
    final float[][] x; // (L+1, N·C): input of each layer; x[L] feeds the final norm
    final float[][] n1, h, n2; // (L, N·C): input-norm output, residual after attention, MLP-norm output
    final float[][] n1Mean, n1Rstd, n2Mean, n2Rstd; // (L, N); means only for LayerNorm
    final float[][] qkv; // (L, N·3·QW): GPT-NeoX's fused projection output, else null
    final float[][] qRaw, q, attn; // (L, N·QW): projection (the same array as q without q/k norms), after q-norm and rope, attention output
    final float[][] kRaw, k, v; // (L, N·KW)
    final float[][] qRstd, kRstd; // (L, N·NH), (L, N·KVH): q/k norms
    final float[][] lse; // (L, B·NH·T)
    final float[][] oRaw, oRstd, mlpRaw, mlpRstd; // (L, N·C), (L, N): Gemma's post-norm inputs and rstd
    final float[][] gate, up, act; // (L, N·I): up holds the pre-activation of a plain MLP
    final float[] branch; // (N·C) a branch output before its residual add
    final float[] hidden, finalMean, finalRstd; // (N·C), (N), (N): the final norm
    final int[] logitRows; // (R): rows of the last logits() call
    int nLogitRows;
    final float[] logitIn, logits; // (R·C), (R·V)
    // backward only (null for inference)
    final float[] dX, dXNext, dH, dN, dBranch; // (N·C)
    final float[] dQkv; // (N·3·QW) or null
    final float[] dQ, dQn, dQRaw, dAttn; // (N·QW)
    final float[] dK, dKn, dKRaw, dV; // (N·KW)
    final float[] dGate, dUp, dAct; // (N·I)
    final float[] dLogits, dLogitIn, dHidden; // (R·V), (R·C), (N·C)
    final float[] sink, sink2; // (max(C, HS)): gradients of frozen norm parameters, discarded

    DecoderActivations(DecoderConfig c, int maxB, int maxT, int maxLogitRows, boolean training) {
        this(c, maxB, maxT, maxLogitRows, training, false);
    }

    DecoderActivations(DecoderConfig c, int maxB, int maxT, int maxLogitRows, boolean training, boolean checkpointing) {
        if (maxB <= 0 || maxT <= 0 || maxLogitRows < 0) {
            throw new IllegalArgumentException("activations: need batch and length > 0 and logit rows >= 0, got "
                    + maxB + ", " + maxT + ", " + maxLogitRows);
        }
        this.maxB = maxB;
        this.maxT = maxT;
        this.maxLogitRows = maxLogitRows;
        this.training = training;
        this.checkpointing = training && checkpointing;
        int L = c.numLayers();
        int n = Math.multiplyExact(maxB, maxT);
        int nc = Math.multiplyExact(n, c.hiddenSize());
        int nq = Math.multiplyExact(n, c.queryWidth());
        int nk = Math.multiplyExact(n, c.kvWidth());
        int ni = Math.multiplyExact(n, c.intermediateSize());
        boolean ln = c.norm() == DecoderConfig.Norm.LAYER;
        boolean fused = c.family() == DecoderConfig.Family.GPT_NEOX;
        ids = new int[n];
        mask = new int[n];
        positions = new int[n];
        segments = new int[n];
        x = new float[L + 1][];
        if (training) {
            for (int l = 0; l <= L; l++) {
                x[l] = new float[nc];
            }
        } else {
            float[] even = new float[nc], odd = new float[nc];
            for (int l = 0; l <= L; l++) {
                x[l] = l % 2 == 0 ? even : odd;
            }
        }
        n1 = layers(L, nc);
        h = layers(L, nc);
        n2 = layers(L, nc);
        n1Mean = ln ? layers(L, n) : null;
        n2Mean = ln ? layers(L, n) : null;
        n1Rstd = layers(L, n);
        n2Rstd = layers(L, n);
        qkv = fused ? layers(L, 3 * nq) : null;
        q = layers(L, nq);
        k = layers(L, nk);
        // without q/k norms rope runs in place on the projection output (its backward needs no input)
        qRaw = c.qkNorm() ? layers(L, nq) : q;
        kRaw = c.qkNorm() ? layers(L, nk) : k;
        attn = layers(L, nq);
        v = layers(L, nk);
        qRstd = c.qkNorm() ? layers(L, n * c.numHeads()) : null;
        kRstd = c.qkNorm() ? layers(L, n * c.numKvHeads()) : null;
        lse = layers(L, n * c.numHeads());
        oRaw = c.postNorms() ? layers(L, nc) : null;
        oRstd = c.postNorms() ? layers(L, n) : null;
        mlpRaw = c.postNorms() ? layers(L, nc) : null;
        mlpRstd = c.postNorms() ? layers(L, n) : null;
        gate = c.mlp().gated ? layers(L, ni) : null;
        up = layers(L, ni);
        act = layers(L, ni);
        branch = new float[nc];
        hidden = new float[nc];
        finalMean = new float[n];
        finalRstd = new float[n];
        logitRows = new int[maxLogitRows];
        logitIn = new float[Math.multiplyExact(maxLogitRows, c.hiddenSize())];
        logits = new float[Math.multiplyExact(maxLogitRows, c.vocabSize())];
        dX = training ? new float[nc] : null;
        dXNext = training ? new float[nc] : null;
        dH = training ? new float[nc] : null;
        dN = training ? new float[nc] : null;
        dBranch = training ? new float[nc] : null;
        dQkv = training && fused ? new float[3 * nq] : null;
        dQ = training ? new float[nq] : null;
        dQn = training ? new float[nq] : null;
        dQRaw = training ? new float[nq] : null;
        dAttn = training ? new float[nq] : null;
        dK = training ? new float[nk] : null;
        dKn = training ? new float[nk] : null;
        dKRaw = training ? new float[nk] : null;
        dV = training ? new float[nk] : null;
        dGate = training && c.mlp().gated ? new float[ni] : null;
        dUp = training ? new float[ni] : null;
        dAct = training ? new float[ni] : null;
        dLogits = training ? new float[logits.length] : null;
        dLogitIn = training ? new float[logitIn.length] : null;
        dHidden = training ? new float[nc] : null;
        sink = new float[Math.max(c.hiddenSize(), c.headDim())];
        sink2 = new float[sink.length];
    }

    /** (L, size): one array per layer for training, one shared by all layers for inference or with checkpointing. */
    private float[][] layers(int L, int size) {
        boolean perLayer = training && !checkpointing;
        float[][] a = new float[L][];
        float[] shared = perLayer ? null : new float[size];
        for (int l = 0; l < L; l++) {
            a[l] = perLayer ? new float[size] : shared;
        }
        return a;
    }

    /**
     * Floats held by the activations saved between forward and backward (every distinct per-layer
     * buffer, the residual stream included): what gradient checkpointing reduces.
     */
    public long activationFloats() {
        java.util.Set<float[]> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        long n = 0;
        for (float[][] group : new float[][][] {x, n1, h, n2, n1Mean, n1Rstd, n2Mean, n2Rstd, qkv, qRaw, q, attn, kRaw, k, v,
                qRstd, kRstd, lse, oRaw, oRstd, mlpRaw, mlpRstd, gate, up, act}) {
            if (group == null) {
                continue;
            }
            for (float[] arr : group) {
                if (arr != null && seen.add(arr)) {
                    n += arr.length;
                }
            }
        }
        return n;
    }

    /** Most batch rows these buffers take. */
    public int maxBatch() {
        return maxB;
    }

    /** Most tokens per row these buffers take. */
    public int maxLength() {
        return maxT;
    }

    /** Most rows one {@code logits} call takes. */
    public int maxLogitRows() {
        return maxLogitRows;
    }

    public int batch() {
        return B;
    }

    public int length() {
        return T;
    }

    /** The final-norm output of the last forward: (B, T, C), valid for B·T·C elements. */
    public float[] hidden() {
        return hidden;
    }

    /** The logits of the last {@code logits()} call: (rows, V), valid for rows·V elements. */
    public float[] logits() {
        return logits;
    }

    /** The positions used by the last forward (B·T). */
    public int[] positions() {
        return Arrays.copyOf(positions, B * T);
    }
}
