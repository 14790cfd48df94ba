package io.supportlm.sft;

import io.supportlm.kernels.CrossEntropy;
import io.supportlm.model.decoder.DecoderActivations;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.peft.PromptTuning;
import java.util.Arrays;

/**
 * A decoder trained as a causal language model on {@link SftBatch}es: forward, the next-token
 * cross-entropy on the trained positions, and one backward.
 *
 * <p>The loss at position {@code t} predicts {@code labels[t + 1]}; a position counts (is a
 * <em>target</em>) when that label is not {@link SftExample#IGNORE}, the next token is real
 * ({@code mask = 1}) and, in a packed row, belongs to the same example. Only target rows get
 * logits, computed {@code chunkRows} at a time: the LM head over a 49k vocabulary never needs
 * B·T·V floats. Each chunk's logit gradient goes straight into the hidden-state gradient
 * ({@link DecoderModel#accumulateHiddenGradient}); the network is then backpropagated ONCE.
 *
 * <p>Reduction (what the SFT trainer uses): the mean over every target of the whole optimizer
 * step, gradient accumulation included — each micro-batch's per-token losses are scaled by
 * 1 / (targets in the step), as transformers ≥ 4.46 does ({@code num_items_in_batch}), so a step
 * over several micro-batches equals one step over their concatenation. {@link #rowLosses} takes a
 * scale per row, so DPO can weight each sequence's log-probability on its own.
 *
 * <p>With {@link PromptTuning} the virtual tokens run before every row (positions 0..N−1, the
 * text after them), and backward adds the virtual tokens' gradient to {@link PromptTuning#grads()};
 * packed rows are refused there (virtual tokens belong before each example, not each row).
 */
public final class CausalLmLoss {
    private final DecoderModel model;
    private final PromptTuning prompt; // null without prompt tuning
    private final DecoderActivations a;
    private final int chunk, V, C, P;
    private final int[] rows, targets; // (chunk)
    private final float[] losses, lse, dLogits; // (chunk), (chunk), (chunk·V)
    private final float[] dHidden; // (maxB·(P+maxT)·C)
    private final float[] embeddings; // (maxB·(P+maxT)·C) with prompt tuning, else null
    private final int[] mask, positions; // (maxB·(P+maxT)) with prompt tuning

    /**
     * Buffers for batches of up to {@code maxB × maxT} tokens, logits {@code chunkRows} rows at a
     * time; {@code prompt} may be null; {@code gradientCheckpointing} keeps only layer inputs.
     */
    public CausalLmLoss(DecoderModel model, PromptTuning prompt, int maxB, int maxT, int chunkRows,
                        boolean gradientCheckpointing) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("causal-LM loss: logit chunk must be at least 1 row, got " + chunkRows);
        }
        this.model = model;
        this.prompt = prompt;
        this.P = prompt == null ? 0 : prompt.numVirtualTokens();
        this.C = model.config().hiddenSize();
        this.V = model.config().vocabSize();
        if (prompt != null && prompt.tokenDim() != C) {
            throw new IllegalArgumentException("prompt embeddings have token_dim " + prompt.tokenDim() + ", the model's hidden size is " + C);
        }
        this.a = model.allocate(maxB, P + maxT, chunkRows, gradientCheckpointing);
        this.chunk = chunkRows;
        this.rows = new int[chunkRows];
        this.targets = new int[chunkRows];
        this.losses = new float[chunkRows];
        this.lse = new float[chunkRows];
        this.dLogits = new float[Math.multiplyExact(chunkRows, V)];
        int n = Math.multiplyExact(maxB, P + maxT);
        this.dHidden = new float[Math.multiplyExact(n, C)];
        this.embeddings = prompt == null ? null : new float[n * C];
        this.mask = prompt == null ? null : new int[n];
        this.positions = prompt == null ? null : new int[n];
    }

    public DecoderActivations activations() {
        return a;
    }

    /** Whether position {@code i} (flat index into the batch) is a target: see the class comment. */
    static boolean isTarget(SftBatch b, int i) {
        int t = i % b.T();
        if (t == b.T() - 1 || b.labels()[i + 1] == SftExample.IGNORE || b.mask()[i + 1] == 0) {
            return false;
        }
        return b.segments() == null || b.segments()[i] == b.segments()[i + 1];
    }

    /** Targets in a batch (the tokens its loss averages over). */
    public static int targets(SftBatch b) {
        int n = 0;
        for (int i = 0; i < b.B() * b.T(); i++) {
            if (isTarget(b, i)) {
                n++;
            }
        }
        return n;
    }

    /** Targets in each row of a batch. */
    public static int[] targetsPerRow(SftBatch b) {
        int[] n = new int[b.B()];
        for (int i = 0; i < b.B() * b.T(); i++) {
            if (isTarget(b, i)) {
                n[i / b.T()]++;
            }
        }
        return n;
    }

    /** Runs the model on the batch (virtual tokens first with prompt tuning). */
    public void forward(SftBatch b) {
        int B = b.B(), T = b.T();
        if (prompt == null) {
            model.forward(a, b.ids(), b.mask(), b.positions(), b.segments(), B, T);
            return;
        }
        if (b.segments() != null) {
            throw new IllegalArgumentException("prompt tuning does not take packed rows: the virtual tokens belong before each"
                    + " example; turn sft.packing off");
        }
        int S = P + T;
        if (B > a.maxBatch() || S > a.maxLength()) {
            throw new IllegalArgumentException("batch " + B + "×" + T + " (+" + P + " virtual tokens) exceeds the allocated "
                    + a.maxBatch() + "×" + a.maxLength());
        }
        float[] tokens = new float[T * C];
        for (int r = 0; r < B; r++) {
            System.arraycopy(prompt.embeddings(), 0, embeddings, r * S * C, P * C);
            model.embed(tokens, Arrays.copyOfRange(b.ids(), r * T, (r + 1) * T), T);
            System.arraycopy(tokens, 0, embeddings, (r * S + P) * C, T * C);
            for (int t = 0; t < S; t++) {
                int i = r * S + t;
                mask[i] = t < P ? 1 : b.mask()[r * T + t - P];
                positions[i] = t < P ? t : P + b.positions()[r * T + t - P];
            }
        }
        model.forwardEmbeddings(a, embeddings, mask, positions, B, S);
    }

    /**
     * For the last {@link #forward} of {@code b}: each row's summed token loss −Σ log p(target).
     * With {@code rowScales} (B, may be null), the gradient of {@code Σ_r rowScales[r]·loss[r]}
     * is backpropagated through the whole model (adapters and virtual tokens accumulate theirs);
     * rows with scale 0 still get their loss.
     */
    public double[] rowLosses(SftBatch b, float[] rowScales) {
        int B = b.B(), T = b.T(), S = P + T;
        if (rowScales != null && rowScales.length < B) {
            throw new IllegalArgumentException("causal-LM loss: " + rowScales.length + " row scales for " + B + " rows");
        }
        double[] out = new double[B];
        boolean backward = rowScales != null;
        if (backward) {
            Arrays.fill(dHidden, 0, B * S * C, 0f);
        }
        int n = 0;
        for (int i = 0; i <= B * T; i++) {
            if (i < B * T && isTarget(b, i)) {
                int r = i / T;
                rows[n] = r * S + P + i % T;
                targets[n] = b.ids()[i + 1];
                n++;
            }
            if (n == chunk || (i == B * T && n > 0)) {
                chunk(n, S, out, rowScales);
                n = 0;
            }
        }
        if (backward) {
            float[] dEmbeddings = model.backward(a, dHidden);
            if (prompt != null) {
                float[] g = prompt.grads();
                for (int r = 0; r < B; r++) {
                    for (int j = 0; j < P * C; j++) {
                        g[j] += dEmbeddings[r * S * C + j];
                    }
                }
            }
        }
        return out;
    }

    /** Logits, per-row losses and (with scales) the logit gradient of n target rows. */
    private void chunk(int n, int S, double[] out, float[] rowScales) {
        float[] logits = model.logits(a, rows, n);
        CrossEntropy.forward(losses, 0, lse, 0, logits, 0, targets, 0, null, n, V, CrossEntropy.IGNORE_INDEX);
        for (int k = 0; k < n; k++) {
            out[rows[k] / S] += losses[k];
        }
        if (rowScales == null) {
            return;
        }
        Arrays.fill(dLogits, 0, n * V, 0f);
        // rows of one batch row share a scale: one kernel call per run of them (mean-reduced, so times the run length)
        for (int from = 0; from < n; ) {
            int row = rows[from] / S;
            int to = from + 1;
            while (to < n && rows[to] / S == row) {
                to++;
            }
            float scale = rowScales[row];
            if (scale != 0f) {
                CrossEntropy.backward(dLogits, from * V, scale * (to - from), lse, from, logits, from * V, targets, from, null,
                        to - from, V, CrossEntropy.IGNORE_INDEX);
            }
            from = to;
        }
        model.accumulateHiddenGradient(a, dLogits, dHidden);
    }
}
