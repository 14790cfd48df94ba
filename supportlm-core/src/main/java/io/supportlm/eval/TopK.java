package io.supportlm.eval;

/**
 * Ranks class scores for top-k accuracy.
 *
 * <p>Ties go to the lower class index, the same rule as {@code argmax} in NumPy and PyTorch, so that the first
 * entry of a ranking is always the arg-max prediction and top-1 accuracy equals accuracy. Note that
 * scikit-learn's {@code top_k_accuracy_score} breaks ties the other way (the higher index first); the two agree
 * whenever the scores at the k-th place are not tied.
 */
public final class TopK {
    private TopK() {
    }

    /**
     * The indices of the {@code min(k, scores.length)} highest scores, best first.
     *
     * @throws IllegalArgumentException if {@code k < 1}, the scores are empty or a score is NaN
     */
    public static int[] rank(float[] scores, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (scores.length == 0) {
            throw new IllegalArgumentException("cannot rank an empty score vector");
        }
        for (int i = 0; i < scores.length; i++) {
            if (Float.isNaN(scores[i])) {
                throw new IllegalArgumentException("score " + i + " is NaN");
            }
        }
        int n = Math.min(k, scores.length);
        int[] ranked = new int[n];
        // Insertion into a short sorted prefix: k is small (1..10) and the class count at most a few hundred.
        int filled = 0;
        for (int c = 0; c < scores.length; c++) {
            int pos = filled;
            // Strictly greater moves ahead: an equal score keeps the earlier (lower) index in front.
            while (pos > 0 && scores[c] > scores[ranked[pos - 1]]) {
                pos--;
            }
            if (pos >= n) {
                continue;
            }
            int last = Math.min(filled, n - 1);
            System.arraycopy(ranked, pos, ranked, pos + 1, last - pos);
            ranked[pos] = c;
            if (filled < n) {
                filled++;
            }
        }
        return ranked;
    }
}
