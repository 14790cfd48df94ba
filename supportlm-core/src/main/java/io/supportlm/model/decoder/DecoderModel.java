package io.supportlm.model.decoder;

import static io.supportlm.model.decoder.DecoderWeights.DOWN;
import static io.supportlm.model.decoder.DecoderWeights.GATE;
import static io.supportlm.model.decoder.DecoderWeights.K;
import static io.supportlm.model.decoder.DecoderWeights.O;
import static io.supportlm.model.decoder.DecoderWeights.Q;
import static io.supportlm.model.decoder.DecoderWeights.UP;
import static io.supportlm.model.decoder.DecoderWeights.V;

import io.supportlm.kernels.Attention;
import io.supportlm.kernels.Embedding;
import io.supportlm.kernels.GeGlu;
import io.supportlm.kernels.Gelu;
import io.supportlm.kernels.GeluTanh;
import io.supportlm.kernels.LayerNorm;
import io.supportlm.kernels.Residual;
import io.supportlm.kernels.RmsNorm;
import io.supportlm.kernels.Rope;
import io.supportlm.kernels.SwiGlu;
import io.supportlm.model.FrozenLinear;
import io.supportlm.model.LinearLayer;
import io.supportlm.model.decoder.DecoderConfig.Mlp;
import io.supportlm.model.decoder.DecoderConfig.Norm;
import io.supportlm.tensor.Floats;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A decoder-only transformer for every family {@link DecoderConfig} describes. One layer is
 *
 * <pre>
 *   n1 = norm1(x);  q, k, v = proj(n1)  [q, k = rmsnorm per head];  q, k = rope(q, k)
 *   h  = x + [postnorm](o(attention(q, k, v)))
 *   n2 = norm2(parallel ? x : h);  x' = h + [postnorm](down(act(gate(n2), up(n2))))
 * </pre>
 *
 * then {@code hidden = norm(x_L)} and {@code logits = [softcap](hidden · lm_headᵀ)}; bracketed
 * steps and the biases are switched by the config. {@link #forward} saves what
 * {@link #backward} needs in {@link DecoderActivations}; the backward is the forward read from the
 * bottom up. Base weights are frozen: gradients flow to the linear layers (adapters attached with
 * {@link #replaceLinear}) and to the input embeddings, which backward returns (prompt tuning).
 *
 * <p>Positions: with no explicit positions, each token's position is the number of real tokens
 * before it in its row ({@code cumsum(mask) − 1}, as transformers' {@code generate} computes it),
 * so a left-padded row gives its real tokens the same outputs as the unpadded sequence; padding
 * tokens get position 0 and their outputs are meaningless. Attention masks padded keys; causality
 * and sliding windows count token indices, which left padding does not change between real tokens.
 *
 * <p>Threads: inference on different {@link KvCache}s (or activations) may run concurrently, as
 * long as the linear layers are not being replaced; a training step uses its activations alone.
 */
public final class DecoderModel {
    private final DecoderConfig config;
    private final DecoderWeights weights;
    private final LinearLayer[][] linears; // (L, 7), slots as in DecoderWeights; null where absent
    private final String[] modules;
    private LinearLayer lmHead;
    private final Attention.Options[] attention; // (L)
    private final float embeddingScale;
    /** Both rope tables, replaced together (never mutated) when more positions are needed. */
    private record RopeTables(Rope.Table full, Rope.Table sliding) {}

    private volatile RopeTables rope; // grown on demand to the positions in use

    public DecoderModel(DecoderConfig config, DecoderWeights weights) {
        this.config = config;
        this.weights = weights;
        this.modules = DecoderWeights.modules(config.family());
        this.linears = new LinearLayer[config.numLayers()][];
        this.attention = new Attention.Options[config.numLayers()];
        for (int l = 0; l < config.numLayers(); l++) {
            linears[l] = Arrays.copyOf(weights.layers().get(l).linears(), 7, LinearLayer[].class);
            attention[l] = new Attention.Options(true, config.windowOf(l), config.attnSoftcap(), config.attentionScale());
        }
        this.lmHead = new FrozenLinear(weights.lmHead(), null);
        // transformers casts the scale to the embedding dtype before multiplying (Gemma's √hidden in bf16)
        float s = config.embeddingScale();
        this.embeddingScale = switch (weights.embeddings().dtype()) {
            case BF16 -> Floats.bf16ToFloat(Floats.floatToBf16(s));
            case F16 -> Floats.f16ToFloat(Floats.floatToF16(s));
            default -> s;
        };
    }

    public DecoderConfig config() {
        return config;
    }

    public DecoderWeights weights() {
        return weights;
    }

    // ------------------------------------------------------------------------------------ adapters

    /**
     * Every linear layer by its Hugging Face module name ({@code model.layers.0.self_attn.q_proj},
     * {@code gpt_neox.layers.0.attention.query_key_value}, ...), then the output projection
     * ({@code lm_head} or {@code embed_out}; PEFT's "all-linear" leaves it out).
     */
    public Map<String, LinearLayer> linearLayers() {
        Map<String, LinearLayer> out = new LinkedHashMap<>();
        for (int l = 0; l < linears.length; l++) {
            for (int m = 0; m < modules.length; m++) {
                if (modules[m] != null) {
                    out.put(DecoderWeights.layerPrefix(config.family(), l) + modules[m], linears[l][m]);
                }
            }
        }
        out.put(DecoderWeights.lmHeadName(config.family()), lmHead);
        return out;
    }

    /** Swaps the linear layer at a module name (how adapters attach); shapes must match. */
    public void replaceLinear(String module, LinearLayer layer) {
        if (module.equals(DecoderWeights.lmHeadName(config.family()))) {
            lmHead = checkedSwap(module, lmHead, layer);
            return;
        }
        for (int l = 0; l < linears.length; l++) {
            for (int m = 0; m < modules.length; m++) {
                if (modules[m] != null && module.equals(DecoderWeights.layerPrefix(config.family(), l) + modules[m])) {
                    linears[l][m] = checkedSwap(module, linears[l][m], layer);
                    return;
                }
            }
        }
        throw new IllegalArgumentException("no linear layer named '" + module + "' (names look like "
                + DecoderWeights.layerPrefix(config.family(), 0) + modules[O] + ")");
    }

    private static LinearLayer checkedSwap(String module, LinearLayer old, LinearLayer layer) {
        if (old.inFeatures() != layer.inFeatures() || old.outFeatures() != layer.outFeatures()) {
            throw new IllegalArgumentException(module + ": replacement maps " + layer.inFeatures() + "→"
                    + layer.outFeatures() + ", the layer maps " + old.inFeatures() + "→" + old.outFeatures());
        }
        return layer;
    }

    // ------------------------------------------------------------------------------------ training

    /** Buffers for training on up to {@code maxB × maxT} tokens, with logits for up to {@code maxLogitRows} rows at once. */
    public DecoderActivations allocate(int maxB, int maxT, int maxLogitRows) {
        return allocate(maxB, maxT, maxLogitRows, false);
    }

    /**
     * As {@link #allocate(int, int, int)}; with {@code gradientCheckpointing} only each layer's
     * input is kept and {@link #backward} recomputes the rest layer by layer (same gradients, one
     * more forward of compute, a fraction of the activation memory).
     */
    public DecoderActivations allocate(int maxB, int maxT, int maxLogitRows, boolean gradientCheckpointing) {
        checkLength(maxT);
        return new DecoderActivations(config, maxB, maxT, maxLogitRows, true, gradientCheckpointing);
    }

    /** Buffers for a forward without backward: layers share their buffers. */
    public DecoderActivations allocateInference(int maxB, int maxT, int maxLogitRows) {
        checkLength(maxT);
        return new DecoderActivations(config, maxB, maxT, maxLogitRows, false);
    }

    /**
     * Runs the model on {@code B × T} token ids, left- or right-padded ({@code mask} 1 for real
     * tokens, null for none). {@code positions} (B·T) may be null: then they follow the mask (see
     * the class comment). Leaves the final hidden states in {@code a.hidden()}.
     */
    public void forward(DecoderActivations a, int[] ids, int[] mask, int[] positions, int B, int T) {
        forward(a, ids, mask, positions, null, B, T);
    }

    /**
     * As {@link #forward(DecoderActivations, int[], int[], int[], int, int)} for packed rows:
     * {@code segments} (B·T, null for none) gives each token's example within its row, and
     * attention stays inside an example (see {@link Attention}); give positions that restart at
     * 0 for each example, as {@link io.supportlm.sft.SftBatch} holds them.
     */
    public void forward(DecoderActivations a, int[] ids, int[] mask, int[] positions, int[] segments, int B, int T) {
        prepare(a, ids, mask, positions, B, T);
        prepareSegments(a, segments);
        embed(a.x[0], a.ids, B * T);
        layers(a, null);
    }

    /**
     * As {@link #forward}, from input embeddings {@code (B, T, C)} instead of ids (prompt tuning
     * prepends virtual tokens this way). Embeddings are taken as given: Gemma's √hidden scale is
     * part of {@link #embed}, as it is part of transformers' embedding module.
     */
    public void forwardEmbeddings(DecoderActivations a, float[] embeddings, int[] mask, int[] positions, int B, int T) {
        prepare(a, null, mask, positions, B, T);
        int NC = B * T * config.hiddenSize();
        if (embeddings.length < NC) {
            throw new IllegalArgumentException("input embeddings: need " + NC + " floats for " + B + "×" + T + " tokens, got "
                    + embeddings.length);
        }
        System.arraycopy(embeddings, 0, a.x[0], 0, NC);
        layers(a, null);
    }

    /** out (n·C) = the scaled token embeddings of ids (n). */
    public void embed(float[] out, int[] ids, int n) {
        Embedding.forward(out, 0, ids, 0, weights.embeddings(), 1, n);
        if (embeddingScale != 1f) {
            for (int i = 0; i < n * config.hiddenSize(); i++) {
                out[i] *= embeddingScale;
            }
        }
    }

    /**
     * Logits {@code (n, V)} for {@code n} chosen rows (indices into B·T) of the last forward, into
     * {@code a.logits()}: the LM head over a large vocabulary is only paid for the rows a loss or a
     * sampler needs.
     */
    public float[] logits(DecoderActivations a, int[] rows, int n) {
        if (n < 0 || n > a.maxLogitRows || rows.length < n) {
            throw new IllegalArgumentException("logits: " + n + " rows requested, " + a.maxLogitRows + " allocated");
        }
        int C = config.hiddenSize(), N = a.B * a.T;
        for (int r = 0; r < n; r++) {
            if (rows[r] < 0 || rows[r] >= N) {
                throw new IllegalArgumentException("logits: row " + rows[r] + " is outside the batch's " + N + " tokens");
            }
            a.logitRows[r] = rows[r];
            System.arraycopy(a.hidden, rows[r] * C, a.logitIn, r * C, C);
        }
        a.nLogitRows = n;
        lmHead.forward(a.logits, 0, a.logitIn, 0, n);
        float cap = config.finalSoftcap();
        if (cap > 0) {
            for (int i = 0; i < n * config.vocabSize(); i++) {
                a.logits[i] = cap * (float) Math.tanh(a.logits[i] / cap);
            }
        }
        return a.logits;
    }

    /**
     * Backpropagates {@code dLogits} (rows × V) of the last {@link #logits} call through the LM
     * head and the whole network; the other rows get no gradient. Returns what {@link #backward} returns.
     */
    public float[] backwardFromLogits(DecoderActivations a, float[] dLogits) {
        requireTraining(a);
        zero(a.dHidden, a.B * a.T * config.hiddenSize());
        accumulateHiddenGradient(a, dLogits, a.dHidden);
        return backward(a, a.dHidden);
    }

    /**
     * {@code dHidden (B·T·C) +=} the gradient through the LM head (and the final soft cap) of
     * {@code dLogits} (rows × V) for the rows of the last {@link #logits} call; an adapter on the
     * LM head accumulates its own gradients. The network is not run: a loss computed over the
     * rows in chunks (so B·T·V logits never exist at once) calls this after each chunk's
     * {@code logits}, then {@link #backward} once.
     */
    public void accumulateHiddenGradient(DecoderActivations a, float[] dLogits, float[] dHidden) {
        requireTraining(a);
        int n = a.nLogitRows, C = config.hiddenSize(), RV = n * config.vocabSize();
        check("dLogits (rows of the last logits call × V)", dLogits.length, RV);
        check("dHidden (B·T·C)", dHidden.length, a.B * a.T * C);
        float cap = config.finalSoftcap();
        float[] dz = dLogits;
        if (cap > 0) {
            for (int i = 0; i < RV; i++) { // y = cap·tanh(z/cap): dz = dy·(1 − (y/cap)²)
                float t = a.logits[i] / cap;
                a.dLogits[i] = dLogits[i] * (1 - t * t);
            }
            dz = a.dLogits;
        }
        zero(a.dLogitIn, n * C);
        lmHead.backward(a.dLogitIn, 0, dz, 0, a.logitIn, 0, n);
        for (int r = 0; r < n; r++) {
            Residual.forward(dHidden, a.logitRows[r] * C, dHidden, a.logitRows[r] * C, a.dLogitIn, r * C, C);
        }
    }

    /**
     * Backpropagates {@code dHidden} (B, T, C), the gradient of the loss with respect to the final
     * hidden states, through every layer: linear layers accumulate their own gradients (frozen
     * ones have none). Returns the gradient with respect to the input embeddings (B·T·C, valid
     * until the next call). Must follow the {@link #forward} that filled {@code a}.
     */
    public float[] backward(DecoderActivations a, float[] dHidden) {
        requireTraining(a);
        int N = a.B * a.T, C = config.hiddenSize();
        check("dHidden (B·T·C)", dHidden.length, N * C);
        float[] dOut = a.dXNext, dIn = a.dX;
        zero(dOut, N * C);
        normBackward(a, dOut, dHidden, a.finalMean, a.finalRstd, a.x[config.numLayers()], weights.finalNormWeight(), N, C);
        for (int l = config.numLayers() - 1; l >= 0; l--) {
            if (a.checkpointing) {
                layerForward(l, a, null); // the layer's activations again, from its kept input x[l]
            }
            layerBackward(l, a, dOut, dIn);
            float[] t = dOut;
            dOut = dIn;
            dIn = t;
        }
        return dOut;
    }

    // ------------------------------------------------------------------------------------ inference

    /** A KV cache for one sequence of up to {@code capacity} tokens. */
    public KvCache newCache(int capacity) {
        return new KvCache(config, capacity);
    }

    /** Empties the cache and runs the prompt through it; returns the logits (V) of its last token. */
    public float[] prefill(KvCache cache, int[] tokens) {
        cache.reset();
        return extend(cache, tokens);
    }

    /** Appends one token; returns the logits (V) for the next. */
    public float[] decode(KvCache cache, int token) {
        return extend(cache, new int[] {token});
    }

    /** Appends tokens to the cache (one forward over them); returns the logits (V) after the last. */
    public float[] extend(KvCache cache, int[] tokens) {
        int T = tokens.length;
        if (T == 0) {
            throw new IllegalArgumentException("kv cache: no tokens to add");
        }
        if (cache.acts == null || cache.acts.maxT < T) {
            cache.acts = new DecoderActivations(config, 1, Math.max(T, cache.acts == null ? 1 : cache.acts.maxT), 1, false);
        }
        step(cache.acts, new KvCache[] {cache}, tokens, T);
        return Arrays.copyOf(cache.acts.logits, config.vocabSize());
    }

    /**
     * One decoding step for several sequences at once, each with its own cache and length:
     * {@code tokens[b]} is appended to {@code caches[b]}. The projections and the MLP run over all
     * B rows together; attention reads each sequence's own cache. Returns the logits (B, V) in
     * {@code a.logits()}; {@code a} comes from {@link #allocateInference}{@code (maxB, 1, maxB)}.
     */
    public float[] decodeBatch(DecoderActivations a, KvCache[] caches, int[] tokens) {
        if (caches.length != tokens.length || caches.length == 0) {
            throw new IllegalArgumentException("batched decoding: " + caches.length + " caches for " + tokens.length + " tokens");
        }
        step(a, caches, tokens, 1);
        return a.logits;
    }

    /**
     * Appends {@code T} input embeddings {@code (T, C)} to the cache (one forward over them, as
     * {@link #forwardEmbeddings} takes them: prompt tuning's virtual tokens); returns the logits
     * (V) after the last.
     */
    public float[] extendEmbeddings(KvCache cache, float[] embeddings, int T) {
        if (T <= 0) {
            throw new IllegalArgumentException("kv cache: no embeddings to add");
        }
        check("input embeddings (T·C)", embeddings.length, T * config.hiddenSize());
        if (cache.acts == null || cache.acts.maxT < T) {
            cache.acts = new DecoderActivations(config, 1, Math.max(T, cache.acts == null ? 1 : cache.acts.maxT), 1, false);
        }
        step(cache.acts, new KvCache[] {cache}, null, embeddings, T);
        return Arrays.copyOf(cache.acts.logits, config.vocabSize());
    }

    /** Appends T tokens per sequence (row b of tokens to caches[b]) and leaves the last token's logits of each row. */
    private void step(DecoderActivations a, KvCache[] caches, int[] tokens, int T) {
        step(a, caches, tokens, null, T);
    }

    /** As above, from token ids or (one sequence) from input embeddings. */
    private void step(DecoderActivations a, KvCache[] caches, int[] tokens, float[] embeddings, int T) {
        int B = caches.length;
        int[] positions = new int[B * T];
        for (int b = 0; b < B; b++) {
            KvCache cache = caches[b];
            for (int other = 0; other < b; other++) {
                if (caches[other] == cache) {
                    throw new IllegalArgumentException("batched decoding: rows " + other + " and " + b + " share one cache");
                }
            }
            if (cache.length + T > cache.maxT) {
                throw new IllegalArgumentException("kv cache: " + cache.length + " + " + T + " tokens exceed its capacity of " + cache.maxT);
            }
            for (int t = 0; t < T; t++) {
                positions[b * T + t] = cache.length + t;
            }
        }
        prepare(a, tokens, null, positions, B, T);
        if (embeddings != null) {
            System.arraycopy(embeddings, 0, a.x[0], 0, B * T * config.hiddenSize());
        } else {
            embed(a.x[0], a.ids, B * T);
        }
        layers(a, caches);
        int[] last = new int[B];
        for (int b = 0; b < B; b++) {
            caches[b].length += T;
            last[b] = b * T + T - 1;
        }
        logits(a, last, B);
    }

    // ------------------------------------------------------------------------------------ the network

    private void prepare(DecoderActivations a, int[] ids, int[] mask, int[] positions, int B, int T) {
        if (B <= 0 || T <= 0 || B > a.maxB || T > a.maxT) {
            throw new IllegalArgumentException("batch " + B + "×" + T + " exceeds the allocated " + a.maxB + "×" + a.maxT);
        }
        int N = B * T;
        a.B = B;
        a.T = T;
        a.hasMask = mask != null;
        a.hasSegments = false;
        if (ids != null) {
            check("token ids", ids.length, N);
            System.arraycopy(ids, 0, a.ids, 0, N);
        }
        if (mask != null) {
            check("attention mask", mask.length, N);
            for (int i = 0; i < N; i++) {
                if (mask[i] != 0 && mask[i] != 1) {
                    throw new IllegalArgumentException("attention mask: entry " + i + " is " + mask[i] + ", expected 0 or 1");
                }
                a.mask[i] = mask[i];
            }
        }
        int maxPos = 0;
        for (int b = 0; b < B; b++) {
            int real = 0;
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                int p;
                if (positions != null) {
                    p = positions[i];
                } else if (mask == null || mask[i] == 1) {
                    p = real++;
                } else {
                    p = 0;
                }
                if (p < 0 || p >= config.maxPositions()) {
                    throw new IllegalArgumentException("position " + p + " of token " + i + " is outside [0, "
                            + config.maxPositions() + ") (max_position_embeddings)");
                }
                a.positions[i] = p;
                maxPos = Math.max(maxPos, p);
            }
        }
        ensureRope(maxPos + 1);
    }

    private static void prepareSegments(DecoderActivations a, int[] segments) {
        a.hasSegments = segments != null;
        if (segments != null) {
            check("segments", segments.length, a.B * a.T);
            System.arraycopy(segments, 0, a.segments, 0, a.B * a.T);
        }
    }

    private void layers(DecoderActivations a, KvCache[] caches) {
        int L = config.numLayers(), N = a.B * a.T, C = config.hiddenSize();
        for (int l = 0; l < L; l++) {
            layerForward(l, a, caches);
        }
        norm(a.hidden, a.finalMean, a.finalRstd, a.x[L], weights.finalNormWeight(), weights.finalNormBias(), N, C);
    }

    /** One layer; with caches (one per batch row), attention appends to and reads from them instead. */
    private void layerForward(int l, DecoderActivations a, KvCache[] caches) {
        DecoderWeights.Layer w = weights.layers().get(l);
        LinearLayer[] lin = linears[l];
        int B = a.B, T = a.T, N = B * T, C = config.hiddenSize(), I = config.intermediateSize();
        int NH = config.numHeads(), KVH = config.numKvHeads(), HS = config.headDim();
        boolean unit = config.norm() == Norm.RMS_UNIT_OFFSET;
        float eps = config.normEps();
        Rope.Table rope = ropeOf(l);
        float[] x = a.x[l];
        // attention: n1 = norm1(x); q, k, v = proj(n1); q-/k-norm; rope
        norm(a.n1[l], a.n1Mean == null ? null : a.n1Mean[l], a.n1Rstd[l], x, w.inputNormWeight(), w.inputNormBias(), N, C);
        if (a.qkv != null) {
            lin[Q].forward(a.qkv[l], 0, a.n1[l], 0, N);
            splitFusedQkv(a.qkv[l], a.qRaw[l], a.kRaw[l], a.v[l], N, NH, HS);
        } else {
            lin[Q].forward(a.qRaw[l], 0, a.n1[l], 0, N);
            lin[K].forward(a.kRaw[l], 0, a.n1[l], 0, N);
            lin[V].forward(a.v[l], 0, a.n1[l], 0, N);
        }
        float[] qIn = a.qRaw[l], kIn = a.kRaw[l];
        if (config.qkNorm()) {
            RmsNorm.forward(a.q[l], 0, a.qRstd[l], 0, a.qRaw[l], 0, w.qNorm(), 0, N * NH, HS, eps, unit);
            RmsNorm.forward(a.k[l], 0, a.kRstd[l], 0, a.kRaw[l], 0, w.kNorm(), 0, N * KVH, HS, eps, unit);
            qIn = a.q[l];
            kIn = a.k[l];
        }
        Rope.forward(a.q[l], 0, qIn, 0, a.positions, 0, rope, N, NH);
        Rope.forward(a.k[l], 0, kIn, 0, a.positions, 0, rope, N, KVH);
        if (caches == null) {
            Attention.forward(a.attn[l], 0, a.lse[l], 0, a.q[l], 0, a.k[l], 0, a.v[l], 0, a.hasMask ? a.mask : null, 0,
                    a.hasSegments ? a.segments : null, 0, attention[l], B, T, NH, KVH, HS);
        } else {
            int QW = config.queryWidth(), KW = config.kvWidth();
            for (int b = 0; b < B; b++) {
                KvCache cache = caches[b];
                Attention.writeCache(cache.k[l], 0, a.k[l], b * T * KW, cache.length, T, cache.maxT, KVH, HS);
                Attention.writeCache(cache.v[l], 0, a.v[l], b * T * KW, cache.length, T, cache.maxT, KVH, HS);
                Attention.forwardCached(a.attn[l], b * T * QW, a.q[l], b * T * QW, cache.k[l], 0, cache.v[l], 0, null, 0,
                        attention[l], cache.length, T, cache.maxT, NH, KVH, HS);
            }
        }
        // h = x + [postnorm](o(attn))
        if (config.postNorms()) {
            lin[O].forward(a.oRaw[l], 0, a.attn[l], 0, N);
            RmsNorm.forward(a.branch, 0, a.oRstd[l], 0, a.oRaw[l], 0, w.postAttnNorm(), 0, N, C, eps, unit);
        } else {
            lin[O].forward(a.branch, 0, a.attn[l], 0, N);
        }
        Residual.forward(a.h[l], 0, x, 0, a.branch, 0, N * C);
        // x' = h + [postnorm](mlp(norm2(parallel ? x : h)))
        float[] mlpIn = config.parallelResidual() ? x : a.h[l];
        norm(a.n2[l], a.n2Mean == null ? null : a.n2Mean[l], a.n2Rstd[l], mlpIn, w.mlpNormWeight(), w.mlpNormBias(), N, C);
        if (config.mlp().gated) {
            lin[GATE].forward(a.gate[l], 0, a.n2[l], 0, N);
            lin[UP].forward(a.up[l], 0, a.n2[l], 0, N);
            gatedActivation(a.act[l], a.gate[l], a.up[l], N * I);
        } else {
            lin[UP].forward(a.up[l], 0, a.n2[l], 0, N);
            activation(a.act[l], a.up[l], N * I);
        }
        if (config.postNorms()) {
            lin[DOWN].forward(a.mlpRaw[l], 0, a.act[l], 0, N);
            RmsNorm.forward(a.branch, 0, a.mlpRstd[l], 0, a.mlpRaw[l], 0, w.postMlpNorm(), 0, N, C, eps, unit);
        } else {
            lin[DOWN].forward(a.branch, 0, a.act[l], 0, N);
        }
        Residual.forward(a.x[l + 1], 0, a.h[l], 0, a.branch, 0, N * C);
    }

    /** dIn (grad of x[l]) = the gradient through layer l of dOut (grad of x[l+1]); dIn is overwritten. */
    private void layerBackward(int l, DecoderActivations a, float[] dOut, float[] dIn) {
        DecoderWeights.Layer w = weights.layers().get(l);
        LinearLayer[] lin = linears[l];
        int B = a.B, T = a.T, N = B * T, C = config.hiddenSize(), I = config.intermediateSize();
        int NH = config.numHeads(), KVH = config.numKvHeads(), HS = config.headDim();
        int NC = N * C, NI = N * I, NQ = N * config.queryWidth(), NK = N * config.kvWidth();
        boolean unit = config.norm() == Norm.RMS_UNIT_OFFSET;
        Rope.Table rope = ropeOf(l);
        float[] x = a.x[l];
        // x' = h + [postnorm](down(act)): dH = dOut, the MLP branch gets dOut
        System.arraycopy(dOut, 0, a.dH, 0, NC);
        float[] dDown = dOut;
        if (config.postNorms()) {
            zero(a.dBranch, NC);
            RmsNorm.backward(a.dBranch, 0, a.sink, 0, dOut, 0, a.mlpRstd[l], 0, a.mlpRaw[l], 0, w.postMlpNorm(), 0, N, C, unit);
            dDown = a.dBranch;
        }
        zero(a.dAct, NI);
        lin[DOWN].backward(a.dAct, 0, dDown, 0, a.act[l], 0, N);
        zero(a.dUp, NI);
        zero(a.dN, NC);
        if (config.mlp().gated) {
            zero(a.dGate, NI);
            gatedActivationBackward(a.dGate, a.dUp, a.dAct, a.gate[l], a.up[l], NI);
            lin[GATE].backward(a.dN, 0, a.dGate, 0, a.n2[l], 0, N);
        } else {
            activationBackward(a.dUp, a.dAct, a.up[l], NI);
        }
        lin[UP].backward(a.dN, 0, a.dUp, 0, a.n2[l], 0, N);
        zero(dIn, NC);
        float[] mlpIn = config.parallelResidual() ? x : a.h[l];
        normBackward(a, config.parallelResidual() ? dIn : a.dH, a.dN, a.n2Mean == null ? null : a.n2Mean[l], a.n2Rstd[l],
                mlpIn, w.mlpNormWeight(), N, C);
        // h = x + [postnorm](o(attn)): dIn gets dH, the attention branch gets dH
        Residual.backward(dIn, 0, null, 0, a.dH, 0, NC);
        float[] dO = a.dH;
        if (config.postNorms()) {
            zero(a.dBranch, NC);
            RmsNorm.backward(a.dBranch, 0, a.sink, 0, a.dH, 0, a.oRstd[l], 0, a.oRaw[l], 0, w.postAttnNorm(), 0, N, C, unit);
            dO = a.dBranch;
        }
        zero(a.dAttn, NQ);
        lin[O].backward(a.dAttn, 0, dO, 0, a.attn[l], 0, N);
        zero(a.dQ, NQ);
        zero(a.dK, NK);
        zero(a.dV, NK);
        Attention.backward(a.dQ, 0, a.dK, 0, a.dV, 0, a.dAttn, 0, a.attn[l], 0, a.lse[l], 0, a.q[l], 0, a.k[l], 0,
                a.v[l], 0, a.hasMask ? a.mask : null, 0, a.hasSegments ? a.segments : null, 0, attention[l], B, T, NH, KVH, HS);
        zero(a.dQRaw, NQ);
        zero(a.dKRaw, NK);
        if (config.qkNorm()) {
            zero(a.dQn, NQ);
            zero(a.dKn, NK);
            Rope.backward(a.dQn, 0, a.dQ, 0, a.positions, 0, rope, N, NH);
            Rope.backward(a.dKn, 0, a.dK, 0, a.positions, 0, rope, N, KVH);
            RmsNorm.backward(a.dQRaw, 0, a.sink, 0, a.dQn, 0, a.qRstd[l], 0, a.qRaw[l], 0, w.qNorm(), 0, N * NH, HS, unit);
            RmsNorm.backward(a.dKRaw, 0, a.sink, 0, a.dKn, 0, a.kRstd[l], 0, a.kRaw[l], 0, w.kNorm(), 0, N * KVH, HS, unit);
        } else {
            Rope.backward(a.dQRaw, 0, a.dQ, 0, a.positions, 0, rope, N, NH);
            Rope.backward(a.dKRaw, 0, a.dK, 0, a.positions, 0, rope, N, KVH);
        }
        zero(a.dN, NC);
        if (a.qkv != null) {
            mergeFusedQkv(a.dQkv, a.dQRaw, a.dKRaw, a.dV, N, NH, HS);
            lin[Q].backward(a.dN, 0, a.dQkv, 0, a.n1[l], 0, N);
        } else {
            lin[Q].backward(a.dN, 0, a.dQRaw, 0, a.n1[l], 0, N);
            lin[K].backward(a.dN, 0, a.dKRaw, 0, a.n1[l], 0, N);
            lin[V].backward(a.dN, 0, a.dV, 0, a.n1[l], 0, N);
        }
        normBackward(a, dIn, a.dN, a.n1Mean == null ? null : a.n1Mean[l], a.n1Rstd[l], x, w.inputNormWeight(), N, C);
    }

    // ------------------------------------------------------------------------------------ pieces

    private void norm(float[] out, float[] mean, float[] rstd, float[] inp, float[] weight, float[] bias, int N, int C) {
        if (config.norm() == Norm.LAYER) {
            LayerNorm.forward(out, 0, mean, 0, rstd, 0, inp, 0, weight, 0, bias, 0, N, C, config.normEps());
        } else {
            RmsNorm.forward(out, 0, rstd, 0, inp, 0, weight, 0, N, C, config.normEps(), config.norm() == Norm.RMS_UNIT_OFFSET);
        }
    }

    /** dInp += norm backward; the frozen norm parameters' gradients go to a sink. */
    private void normBackward(DecoderActivations a, float[] dInp, float[] dOut, float[] mean, float[] rstd, float[] inp,
                              float[] weight, int N, int C) {
        if (config.norm() == Norm.LAYER) {
            LayerNorm.backward(dInp, 0, a.sink, 0, a.sink2, 0, dOut, 0, mean, 0, rstd, 0, inp, 0, weight, 0, N, C);
        } else {
            RmsNorm.backward(dInp, 0, a.sink, 0, dOut, 0, rstd, 0, inp, 0, weight, 0, N, C, config.norm() == Norm.RMS_UNIT_OFFSET);
        }
    }

    private void gatedActivation(float[] out, float[] gate, float[] up, int n) {
        if (config.mlp() == Mlp.SWIGLU) {
            SwiGlu.forward(out, 0, gate, 0, up, 0, n);
        } else {
            GeGlu.forward(out, 0, gate, 0, up, 0, n);
        }
    }

    private void gatedActivationBackward(float[] dGate, float[] dUp, float[] dOut, float[] gate, float[] up, int n) {
        if (config.mlp() == Mlp.SWIGLU) {
            SwiGlu.backward(dGate, 0, dUp, 0, dOut, 0, gate, 0, up, 0, n);
        } else {
            GeGlu.backward(dGate, 0, dUp, 0, dOut, 0, gate, 0, up, 0, n);
        }
    }

    private void activation(float[] out, float[] inp, int n) {
        if (config.mlp() == Mlp.GELU) {
            Gelu.forward(out, 0, inp, 0, n);
        } else {
            GeluTanh.forward(out, 0, inp, 0, n);
        }
    }

    private void activationBackward(float[] dInp, float[] dOut, float[] inp, int n) {
        if (config.mlp() == Mlp.GELU) {
            Gelu.backward(dInp, 0, dOut, 0, inp, 0, n);
        } else {
            GeluTanh.backward(dInp, 0, dOut, 0, inp, 0, n);
        }
    }

    /** GPT-NeoX's fused rows (N, NH, 3, HS) = per head [q | k | v] → q, k, v (N, NH, HS). */
    private static void splitFusedQkv(float[] qkv, float[] q, float[] k, float[] v, int N, int NH, int HS) {
        for (int i = 0; i < N * NH; i++) {
            System.arraycopy(qkv, 3 * i * HS, q, i * HS, HS);
            System.arraycopy(qkv, (3 * i + 1) * HS, k, i * HS, HS);
            System.arraycopy(qkv, (3 * i + 2) * HS, v, i * HS, HS);
        }
    }

    /** The transpose of {@link #splitFusedQkv}: dq, dk, dv → fused rows (overwritten). */
    private static void mergeFusedQkv(float[] dQkv, float[] dq, float[] dk, float[] dv, int N, int NH, int HS) {
        for (int i = 0; i < N * NH; i++) {
            System.arraycopy(dq, i * HS, dQkv, 3 * i * HS, HS);
            System.arraycopy(dk, i * HS, dQkv, (3 * i + 1) * HS, HS);
            System.arraycopy(dv, i * HS, dQkv, (3 * i + 2) * HS, HS);
        }
    }

    private Rope.Table ropeOf(int l) {
        RopeTables r = rope;
        return config.layerTypes().get(l) == DecoderConfig.LayerType.SLIDING ? r.sliding() : r.full();
    }

    /** Builds (or grows) the cos/sin tables to cover positions [0, needed); safe when caches decode on several threads. */
    private synchronized void ensureRope(int needed) {
        RopeTables r = rope;
        if (r != null && r.full().maxPositions() >= needed) {
            return;
        }
        int size = Math.min(config.maxPositions(), Math.max(needed, Math.max(256, r == null ? 0 : 2 * r.full().maxPositions())));
        Rope.Table full = Rope.Table.build(config.rope(), size);
        rope = new RopeTables(full, config.slidingRope().equals(config.rope()) ? full : Rope.Table.build(config.slidingRope(), size));
    }

    private void checkLength(int maxT) {
        if (maxT > config.maxPositions()) {
            throw new IllegalArgumentException("sequence length " + maxT + " exceeds max_position_embeddings " + config.maxPositions());
        }
    }

    private static void requireTraining(DecoderActivations a) {
        if (!a.training) {
            throw new IllegalStateException("these activations were allocated for inference; backward needs allocate(...)");
        }
    }

    private static void check(String what, int length, int needed) {
        if (length < needed) {
            throw new IllegalArgumentException(what + ": need " + needed + " entries, got " + length);
        }
    }

    private static void zero(float[] a, int n) {
        Arrays.fill(a, 0, n, 0f);
    }
}
