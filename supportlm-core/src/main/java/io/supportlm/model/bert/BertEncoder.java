package io.supportlm.model.bert;

import io.supportlm.kernels.Attention;
import io.supportlm.kernels.Dropout;
import io.supportlm.kernels.Embedding;
import io.supportlm.kernels.Gelu;
import io.supportlm.kernels.GeluTanh;
import io.supportlm.kernels.LayerNorm;
import io.supportlm.kernels.Residual;
import io.supportlm.model.Backbone;
import io.supportlm.model.LinearLayer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A BERT encoder (Hugging Face {@code BertModel} without the pooler): embeddings (word + absolute
 * position + token type, LayerNorm), then post-LayerNorm layers of bidirectional self-attention and
 * a GELU MLP. {@link #forward} saves what {@link #backward} needs in an {@link Activations}; the
 * backward is the forward read from the bottom up, one kernel call per line.
 *
 * <p>Dropout follows the config's {@code hidden_dropout_prob} on the three residual branches during
 * training; dropout on attention probabilities is not applied (the fused attention never
 * materializes them), a small, documented difference from transformers in training mode only.
 */
public final class BertEncoder implements Backbone {
    /** Linear modules of one layer, in the order of {@link #MODULES}. */
    private static final int Q = 0, K = 1, V = 2, O = 3, UP = 4, DOWN = 5;
    /** Hugging Face module paths of the linear layers inside {@code encoder.layer.N}. */
    public static final String[] MODULES = {"attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense"};

    private final BertConfig config;
    private final BertWeights weights;
    private final LinearLayer[][] linears; // (L, 6): replaceable by adapters

    public BertEncoder(BertConfig config, BertWeights weights) {
        this.config = config;
        this.weights = weights;
        this.linears = new LinearLayer[config.numLayers()][];
        for (int l = 0; l < config.numLayers(); l++) {
            BertWeights.Layer w = weights.layers().get(l);
            linears[l] = new LinearLayer[] {w.query(), w.key(), w.value(), w.attnOut(), w.intermediate(), w.output()};
        }
    }

    public BertConfig config() {
        return config;
    }

    /** The frozen weights (the word embeddings initialize prompt tuning from a text). */
    public BertWeights weights() {
        return weights;
    }

    @Override
    public String modelType() {
        return "bert";
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    /** Token types are all zero through this interface (single-segment inputs). */
    @Override
    public float[] forward(Backbone.Workspace ws, int[] ids, int[] mask, int B, int T, boolean training, long seed, long step) {
        Activations a = (Activations) ws;
        forward(a, ids, null, mask, B, T, training, seed, step);
        return a.lastHidden();
    }

    @Override
    public void backward(Backbone.Workspace ws, float[] dHidden, boolean training, long seed, long step) {
        backward((Activations) ws, dHidden, training, seed, step);
    }

    /** Every linear layer by its Hugging Face module name, e.g. {@code encoder.layer.0.attention.self.query}. */
    @Override
    public Map<String, LinearLayer> linearLayers() {
        Map<String, LinearLayer> out = new LinkedHashMap<>();
        for (int l = 0; l < linears.length; l++) {
            for (int m = 0; m < MODULES.length; m++) {
                out.put("encoder.layer." + l + "." + MODULES[m], linears[l][m]);
            }
        }
        return out;
    }

    /** Swaps the linear layer at a module name (how adapters attach); shapes must match. */
    @Override
    public void replaceLinear(String module, LinearLayer layer) {
        for (int l = 0; l < linears.length; l++) {
            for (int m = 0; m < MODULES.length; m++) {
                if (module.equals("encoder.layer." + l + "." + MODULES[m])) {
                    LinearLayer old = linears[l][m];
                    if (old.inFeatures() != layer.inFeatures() || old.outFeatures() != layer.outFeatures()) {
                        throw new IllegalArgumentException(module + ": replacement maps " + layer.inFeatures() + "→"
                                + layer.outFeatures() + ", the layer maps " + old.inFeatures() + "→" + old.outFeatures());
                    }
                    linears[l][m] = layer;
                    return;
                }
            }
        }
        throw new IllegalArgumentException("no linear layer named '" + module + "'");
    }

    /** Buffers for one batch shape, allocated once and reused every step. */
    public static final class Activations implements Backbone.Workspace {
        final int maxB, maxT;
        int B, T;
        int prefix; // leading input embeddings per row (prompt tuning's virtual tokens), 0 for none
        final int[] ids, types, mask, positions; // (B, T)
        final float[] emb; // (B, T, C) embedding sum, LayerNorm input
        final float[] embMean, embRstd; // (B, T)
        final float[][] x; // (L+1, B·T·C): input of each layer; x[L] is the output
        final float[][] q, k, v, attn, res1, h1, res2; // (L, B·T·C)
        final float[][] lse; // (L, B·NH·T)
        final float[][] ln1Mean, ln1Rstd, ln2Mean, ln2Rstd; // (L, B·T)
        final float[][] inter, act; // (L, B·T·I)
        final float[] branch; // (B·T·C) scratch: a branch output before its dropout
        // backward scratch
        final float[] dX, dXNext, dRes, dBranch, dH1, dQ, dK, dV, dAttn; // (B·T·C)
        final float[] dInter, dAct; // (B·T·I)
        final float[] sinkC, sinkC2; // (C): gradients of frozen LayerNorm parameters, discarded

        Activations(BertConfig c, int maxB, int maxT) {
            this.maxB = maxB;
            this.maxT = maxT;
            int L = c.numLayers();
            int n = maxB * maxT;
            int nc = Math.multiplyExact(n, c.hiddenSize());
            int ni = Math.multiplyExact(n, c.intermediateSize());
            ids = new int[n];
            positions = new int[n];
            types = new int[n];
            mask = new int[n];
            emb = new float[nc];
            embMean = new float[n];
            embRstd = new float[n];
            x = new float[L + 1][nc];
            q = new float[L][nc];
            k = new float[L][nc];
            v = new float[L][nc];
            attn = new float[L][nc];
            res1 = new float[L][nc];
            h1 = new float[L][nc];
            res2 = new float[L][nc];
            lse = new float[L][n * c.numHeads()];
            ln1Mean = new float[L][n];
            ln1Rstd = new float[L][n];
            ln2Mean = new float[L][n];
            ln2Rstd = new float[L][n];
            inter = new float[L][ni];
            act = new float[L][ni];
            branch = new float[nc];
            dX = new float[nc];
            dXNext = new float[nc];
            dRes = new float[nc];
            dBranch = new float[nc];
            dH1 = new float[nc];
            dQ = new float[nc];
            dK = new float[nc];
            dV = new float[nc];
            dAttn = new float[nc];
            dInter = new float[ni];
            dAct = new float[ni];
            sinkC = new float[c.hiddenSize()];
            sinkC2 = new float[c.hiddenSize()];
        }

        /** The last hidden state of the last forward: (B, T, C), valid for B·T·C elements. */
        public float[] lastHidden() {
            return x[x.length - 1];
        }

        public int batch() {
            return B;
        }

        public int length() {
            return T;
        }

        /** The attention mask of the last forward (B·T, 1 = real token). */
        public int[] mask() {
            return mask;
        }
    }

    @Override
    public Activations allocate(int maxB, int maxT) {
        if (maxT > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + maxT + " exceeds max_position_embeddings " + config.maxPositions());
        }
        return new Activations(config, maxB, maxT);
    }

    /**
     * Runs the encoder on {@code B × T} token ids (right- or left-padded; {@code mask} 1 for real
     * tokens, null for none; {@code tokenTypes} null for all zeros). Position ids are 0..T-1 as in
     * transformers. With {@code training}, dropout uses seeds derived from {@code seed} and {@code step}.
     */
    public void forward(Activations a, int[] ids, int[] tokenTypes, int[] mask, int B, int T,
                        boolean training, long seed, long step) {
        forward(a, null, 0, ids, tokenTypes, mask, B, T, training, seed, step);
    }

    /**
     * Runs the encoder on {@code P} given input embeddings ({@code prefix}, P·C, the same for every
     * row) followed by {@code B × T} token ids: each row becomes P + T long, as PEFT's prompt
     * tuning concatenates the virtual tokens' embeddings before the words' and lets BertEmbeddings
     * add position (0..P+T-1, so the text shifts by P) and token-type (0) embeddings to both. The
     * prefix positions are always attended; {@code ids}, {@code tokenTypes} and {@code mask} are
     * (B, T) and describe the text only. The hidden states are (B, P + T, C).
     */
    public void forward(Activations a, float[] prefix, int P, int[] ids, int[] tokenTypes, int[] mask, int B, int T,
                        boolean training, long seed, long step) {
        int C = config.hiddenSize();
        int S = P + T;
        if (B > a.maxB || S > a.maxT) {
            throw new IllegalArgumentException("batch " + B + "×" + S + " exceeds the allocated " + a.maxB + "×" + a.maxT);
        }
        if (P < 0 || (P > 0 && (prefix == null || prefix.length < P * C))) {
            throw new IllegalArgumentException("a prefix of " + P + " input embeddings needs " + P + "·" + C + " values");
        }
        int N = B * S;
        a.B = B;
        a.T = S;
        a.prefix = P;
        for (int b = 0; b < B; b++) {
            for (int s = 0; s < S; s++) {
                int i = b * S + s;
                int j = b * T + s - P; // the text's index, when s ≥ P
                boolean virtual = s < P;
                a.ids[i] = virtual ? 0 : ids[j]; // a placeholder row, overwritten by the prefix below
                a.types[i] = virtual || tokenTypes == null ? 0 : tokenTypes[j];
                a.mask[i] = virtual || mask == null ? 1 : mask[j];
            }
        }
        // embeddings: word (or prefix) + position + token type, then LayerNorm and dropout
        Embedding.forward(a.emb, 0, a.ids, 0, weights.wordEmbeddings(), B, S);
        for (int b = 0; b < B && P > 0; b++) {
            System.arraycopy(prefix, 0, a.emb, b * S * C, P * C);
        }
        for (int i = 0; i < N; i++) {
            a.positions[i] = i % S;
        }
        Embedding.forward(a.branch, 0, a.positions, 0, weights.positionEmbeddings(), B, S);
        Residual.forward(a.emb, 0, a.emb, 0, a.branch, 0, N * C);
        Embedding.forward(a.branch, 0, a.types, 0, weights.tokenTypeEmbeddings(), B, S);
        Residual.forward(a.emb, 0, a.emb, 0, a.branch, 0, N * C);
        LayerNorm.forward(a.x[0], 0, a.embMean, 0, a.embRstd, 0, a.emb, 0, weights.embLnWeight(), 0,
                weights.embLnBias(), 0, N, C, config.layerNormEps());
        float p = training ? config.hiddenDropout() : 0f;
        Dropout.forward(a.x[0], 0, a.x[0], 0, N * C, p, Dropout.seed(seed, step, 0));
        Attention.Options attention = Attention.Options.bidirectional(config.headSize());
        for (int l = 0; l < config.numLayers(); l++) {
            BertWeights.Layer w = weights.layers().get(l);
            LinearLayer[] lin = linears[l];
            float[] x = a.x[l];
            lin[Q].forward(a.q[l], 0, x, 0, N);
            lin[K].forward(a.k[l], 0, x, 0, N);
            lin[V].forward(a.v[l], 0, x, 0, N);
            Attention.forward(a.attn[l], 0, a.lse[l], 0, a.q[l], 0, a.k[l], 0, a.v[l], 0, a.mask, 0, attention,
                    B, S, config.numHeads(), config.numHeads(), config.headSize());
            lin[O].forward(a.branch, 0, a.attn[l], 0, N);
            Dropout.forward(a.branch, 0, a.branch, 0, N * C, p, Dropout.seed(seed, step, 1 + 2L * l));
            Residual.forward(a.res1[l], 0, a.branch, 0, x, 0, N * C);
            LayerNorm.forward(a.h1[l], 0, a.ln1Mean[l], 0, a.ln1Rstd[l], 0, a.res1[l], 0, w.attnLnWeight(), 0,
                    w.attnLnBias(), 0, N, C, config.layerNormEps());
            lin[UP].forward(a.inter[l], 0, a.h1[l], 0, N);
            activation(a.act[l], a.inter[l], N * config.intermediateSize());
            lin[DOWN].forward(a.branch, 0, a.act[l], 0, N);
            Dropout.forward(a.branch, 0, a.branch, 0, N * C, p, Dropout.seed(seed, step, 2 + 2L * l));
            Residual.forward(a.res2[l], 0, a.branch, 0, a.h1[l], 0, N * C);
            LayerNorm.forward(a.x[l + 1], 0, a.ln2Mean[l], 0, a.ln2Rstd[l], 0, a.res2[l], 0, w.outLnWeight(), 0,
                    w.outLnBias(), 0, N, C, config.layerNormEps());
        }
    }

    /**
     * Backpropagates {@code dHidden} (B, T, C), the gradient of the loss with respect to the last
     * hidden state, through every layer: adapters inside the linear layers accumulate their
     * gradients. Returns the gradient with respect to the first layer's input (B·T·C, valid until
     * the next call). Must follow the {@link #forward} that filled {@code a}, with the same seed and step.
     */
    public float[] backward(Activations a, float[] dHidden, boolean training, long seed, long step) {
        return backward(a, dHidden, null, training, seed, step);
    }

    /**
     * As {@link #backward(Activations, float[], boolean, long, long)}, and when the forward had a
     * prefix, adds the gradient of its input embeddings, summed over the batch, to {@code dPrefix}
     * (P·C): through the embedding dropout and LayerNorm (the sum with the frozen position and
     * token-type embeddings passes the gradient through unchanged).
     */
    public float[] backward(Activations a, float[] dHidden, float[] dPrefix, boolean training, long seed, long step) {
        float[] dFirst = backwardLayers(a, dHidden, training, seed, step);
        int P = a.prefix;
        if (P == 0 || dPrefix == null) {
            return dFirst;
        }
        int C = config.hiddenSize();
        int S = a.T;
        int NC = a.B * S * C;
        float p = training ? config.hiddenDropout() : 0f;
        zero(a.dBranch, NC);
        Dropout.backward(a.dBranch, 0, dFirst, 0, NC, p, Dropout.seed(seed, step, 0));
        zero(a.dRes, NC);
        for (int b = 0; b < a.B; b++) {
            int row = b * S;
            LayerNorm.backward(a.dRes, row * C, a.sinkC, 0, a.sinkC2, 0, a.dBranch, row * C, a.embMean, row, a.embRstd, row,
                    a.emb, row * C, weights.embLnWeight(), 0, P, C);
            for (int i = 0; i < P * C; i++) {
                dPrefix[i] += a.dRes[row * C + i];
            }
        }
        return dFirst;
    }

    private float[] backwardLayers(Activations a, float[] dHidden, boolean training, long seed, long step) {
        int C = config.hiddenSize();
        int N = a.B * a.T;
        int NC = N * C;
        float p = training ? config.hiddenDropout() : 0f;
        Attention.Options attention = Attention.Options.bidirectional(config.headSize());
        float[] dX = a.dX;
        float[] dXNext = a.dXNext;
        System.arraycopy(dHidden, 0, dXNext, 0, NC);
        for (int l = config.numLayers() - 1; l >= 0; l--) {
            BertWeights.Layer w = weights.layers().get(l);
            LinearLayer[] lin = linears[l];
            // x[l+1] = LN2(res2); res2 = dropout(down(act)) + h1
            zero(a.dRes, NC);
            LayerNorm.backward(a.dRes, 0, a.sinkC, 0, a.sinkC2, 0, dXNext, 0, a.ln2Mean[l], 0, a.ln2Rstd[l], 0,
                    a.res2[l], 0, w.outLnWeight(), 0, N, C);
            System.arraycopy(a.dRes, 0, a.dH1, 0, NC);
            zero(a.dBranch, NC);
            Dropout.backward(a.dBranch, 0, a.dRes, 0, NC, p, Dropout.seed(seed, step, 2 + 2L * l));
            int NI = N * config.intermediateSize();
            zero(a.dAct, NI);
            lin[DOWN].backward(a.dAct, 0, a.dBranch, 0, a.act[l], 0, N);
            zero(a.dInter, NI);
            activationBackward(a.dInter, a.dAct, a.inter[l], NI);
            lin[UP].backward(a.dH1, 0, a.dInter, 0, a.h1[l], 0, N);
            // h1 = LN1(res1); res1 = dropout(o(attn)) + x[l]
            zero(a.dRes, NC);
            LayerNorm.backward(a.dRes, 0, a.sinkC, 0, a.sinkC2, 0, a.dH1, 0, a.ln1Mean[l], 0, a.ln1Rstd[l], 0,
                    a.res1[l], 0, w.attnLnWeight(), 0, N, C);
            System.arraycopy(a.dRes, 0, dX, 0, NC);
            zero(a.dBranch, NC);
            Dropout.backward(a.dBranch, 0, a.dRes, 0, NC, p, Dropout.seed(seed, step, 1 + 2L * l));
            zero(a.dAttn, NC);
            lin[O].backward(a.dAttn, 0, a.dBranch, 0, a.attn[l], 0, N);
            zero(a.dQ, NC);
            zero(a.dK, NC);
            zero(a.dV, NC);
            Attention.backward(a.dQ, 0, a.dK, 0, a.dV, 0, a.dAttn, 0, a.attn[l], 0, a.lse[l], 0, a.q[l], 0,
                    a.k[l], 0, a.v[l], 0, a.mask, 0, attention, a.B, a.T, config.numHeads(), config.numHeads(),
                    config.headSize());
            lin[Q].backward(dX, 0, a.dQ, 0, a.x[l], 0, N);
            lin[K].backward(dX, 0, a.dK, 0, a.x[l], 0, N);
            lin[V].backward(dX, 0, a.dV, 0, a.x[l], 0, N);
            float[] t = dXNext;
            dXNext = dX;
            dX = t;
        }
        return dXNext;
    }

    private void activation(float[] out, float[] inp, int n) {
        if (config.activation() == BertConfig.Activation.GELU) {
            Gelu.forward(out, 0, inp, 0, n);
        } else {
            GeluTanh.forward(out, 0, inp, 0, n);
        }
    }

    private void activationBackward(float[] dInp, float[] dOut, float[] inp, int n) {
        if (config.activation() == BertConfig.Activation.GELU) {
            Gelu.backward(dInp, 0, dOut, 0, inp, 0, n);
        } else {
            GeluTanh.backward(dInp, 0, dOut, 0, inp, 0, n);
        }
    }

    private static void zero(float[] a, int n) {
        Arrays.fill(a, 0, n, 0f);
    }
}
