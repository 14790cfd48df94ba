package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * ROUGE-L (Lin, 2004) on one prediction against one target, as Google's {@code rouge-score}
 * package computes {@code rougeL} without stemming ({@code rouge_score/rouge_scorer.py} and
 * {@code tokenize.py} in github.com/google-research/google-research, folder {@code rouge}):
 * lowercase, every run of characters outside {@code [a-z0-9]} becomes a space (so non-ASCII letters
 * are dropped, as there), split on whitespace; then the longest common subsequence of tokens gives
 * precision {@code lcs / |prediction|}, recall {@code lcs / |target|} and F1 their harmonic mean.
 * An empty side scores 0.
 */
public final class RougeL {
    /** Precision, recall and F1 (rouge-score's {@code fmeasure}), each in [0, 1]. */
    public record Score(double precision, double recall, double f1) {
        public static final Score ZERO = new Score(0, 0, 0);
    }

    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");

    private RougeL() {
    }

    /** rouge-score's argument order: the target (reference) first, then the prediction. */
    public static Score score(String target, String prediction) {
        return score(tokenize(target), tokenize(prediction));
    }

    static Score score(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) {
            return Score.ZERO;
        }
        int lcs = lcsLength(target, prediction);
        double precision = (double) lcs / prediction.size();
        double recall = (double) lcs / target.size();
        double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new Score(precision, recall, f1);
    }

    /** rouge-score's tokenizer without a stemmer. */
    public static List<String> tokenize(String text) {
        String cleaned = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        var tokens = new ArrayList<String>();
        for (String t : PyText.split(cleaned)) {
            if (!t.isEmpty()) {
                tokens.add(t);
            }
        }
        return tokens;
    }

    /** Length of the longest common subsequence, with two rows of the dynamic-programming table. */
    static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            String x = a.get(i - 1);
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = x.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }
}
