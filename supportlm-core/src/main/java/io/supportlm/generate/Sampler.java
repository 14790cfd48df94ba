package io.supportlm.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits as a {@link GenerationConfig} says, in transformers' order:
 * repetition penalty, then (greedy) argmax, or (sampling) temperature → top-k → top-p → a draw
 * from the softmax of what is left. Deterministic for a seed: the random stream is a
 * {@link SplittableRandom} seeded once, one draw per sampled token.
 *
 * <p>Not thread-safe: one sampler per generation.
 */
public final class Sampler {
    private final GenerationConfig config;
    private final SplittableRandom random;
    private float[] scores = new float[0];
    private long[] order = new long[0];
    private double[] probs = new double[0];
    private boolean[] seen = new boolean[0];
    private float[] selection = new float[0];

    public Sampler(GenerationConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /**
     * The next token given {@code logits} (V) and the context so far ({@code context[0, n)}:
     * prompt and generated tokens, which the repetition penalty looks at). The logits are not modified.
     */
    public int next(float[] logits, int[] context, int n) {
        int V = logits.length;
        if (V == 0) {
            throw new IllegalArgumentException("sampler: no logits");
        }
        if (scores.length != V) {
            scores = new float[V];
            order = new long[V];
            probs = new double[V];
            seen = new boolean[V];
            selection = new float[V];
        }
        System.arraycopy(logits, 0, scores, 0, V);
        if (config.repetitionPenalty() != 1f) {
            applyRepetitionPenalty(scores, context, n, config.repetitionPenalty(), seen);
        }
        if (!config.doSample()) {
            return argmax(scores);
        }
        // candidates sorted by score, highest first (ties: lower id first); with top-k only the
        // tokens at or above the k-th score are sorted, found by selection in linear time
        float t = config.temperature();
        for (int i = 0; i < V; i++) {
            scores[i] /= t;
        }
        int kept = 0;
        if (config.topK() > 0 && config.topK() < V) {
            float kth = kthLargest(scores, config.topK(), selection);
            for (int i = 0; i < V; i++) {
                if (scores[i] >= kth) { // ties with the k-th are kept, as transformers' TopKLogitsWarper does
                    order[kept++] = key(scores[i], i);
                }
            }
        } else {
            for (int i = 0; i < V; i++) {
                order[kept++] = key(scores[i], i);
            }
        }
        Arrays.sort(order, 0, kept);
        double max = scores[id(order[0])];
        if (Double.isInfinite(max)) {
            throw new IllegalArgumentException("sampler: the highest logit is " + max + "; nothing can be sampled");
        }
        double sum = 0;
        for (int r = 0; r < kept; r++) {
            probs[r] = Math.exp(scores[id(order[r])] - max);
            sum += probs[r];
        }
        if (config.topP() < 1f) {
            double mass = 0;
            int r = 0;
            while (r < kept) {
                mass += probs[r] / sum;
                r++;
                if (mass >= config.topP()) {
                    break;
                }
            }
            kept = r;
            sum = 0;
            for (r = 0; r < kept; r++) {
                sum += probs[r];
            }
        }
        double u = random.nextDouble() * sum;
        double acc = 0;
        for (int r = 0; r < kept; r++) {
            acc += probs[r];
            if (u < acc) {
                return id(order[r]);
            }
        }
        return id(order[kept - 1]); // rounding left u at the very top of the mass
    }

    /**
     * transformers' {@code RepetitionPenaltyLogitsProcessor}: for every distinct token in
     * {@code context[0, n)}, a logit below 0 is multiplied by the penalty, any other divided by it.
     * {@code seen} (V) is scratch, left all false.
     */
    static void applyRepetitionPenalty(float[] scores, int[] context, int n, float penalty, boolean[] seen) {
        for (int i = 0; i < n; i++) {
            int id = context[i];
            if (id < 0 || id >= scores.length) {
                throw new IllegalArgumentException("sampler: context token " + id + " is outside the vocabulary of " + scores.length);
            }
            if (!seen[id]) {
                seen[id] = true;
                scores[id] = scores[id] < 0 ? scores[id] * penalty : scores[id] / penalty;
            }
        }
        for (int i = 0; i < n; i++) {
            seen[context[i]] = false;
        }
    }

    /** The first index of the largest value (as {@code torch.argmax}); NaN is never chosen. */
    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best] || Float.isNaN(a[best])) {
                best = i;
            }
        }
        return best;
    }

    /** The k-th largest of a (1-based), by quickselect on a copy in {@code w} (length ≥ a.length). */
    static float kthLargest(float[] a, int k, float[] w) {
        System.arraycopy(a, 0, w, 0, a.length);
        int lo = 0, hi = a.length - 1, target = k - 1; // index in descending order
        while (lo < hi) {
            float pivot = w[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (w[i] > pivot) {
                    i++;
                }
                while (w[j] < pivot) {
                    j--;
                }
                if (i <= j) {
                    float x = w[i];
                    w[i++] = w[j];
                    w[j--] = x;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return w[target];
            }
        }
        return w[target];
    }

    private static long key(float score, int id) {
        return ((long) ~sortable(score) << 32) | id;
    }

    /** An int whose signed order is the float's numeric order. */
    private static int sortable(float f) {
        int b = Float.floatToIntBits(f);
        return b ^ ((b >> 31) & 0x7fffffff);
    }

    private static int id(long key) {
        return (int) key;
    }
}
