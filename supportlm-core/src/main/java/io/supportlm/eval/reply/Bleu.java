package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * BLEU (Papineni et al., 2002) computed the way sacreBLEU 2.x computes it, so that scores are
 * comparable with published ones: the {@code 13a} tokenizer (mteval-v13a's, sacreBLEU's default),
 * n-grams up to 4, clipped counts against the per-n-gram maximum over the references, the closest
 * reference length (the shorter one on a tie) for the brevity penalty {@code exp(1 - r/c)} when
 * {@code c < r}, and smoothing by default with {@code exp} (mteval-v13a's: the k-th order with no
 * match gets precision {@code 1 / (2^k · total)}). The score is on sacreBLEU's 0–100 scale.
 *
 * <p>Corpus BLEU sums the statistics of all segments before computing one score (it is not the
 * mean of sentence scores). Sentence BLEU is corpus BLEU of one segment with effective order on,
 * as {@code sacrebleu.sentence_bleu} does by default.
 *
 * <p>Verified against sacreBLEU's own unit tests ({@code test/test_bleu.py} and
 * {@code test/test_sentence_bleu.py} in github.com/mjpost/sacrebleu); see {@code BleuTest}.
 */
public final class Bleu {
    public static final int MAX_ORDER = 4;

    /** How orders with no matching n-gram are kept from zeroing the geometric mean (Chen and Cherry, 2014). */
    public enum Smoothing {
        /** No smoothing: a zero precision makes the score zero. */
        NONE,
        /** Method 1: {@code value / total} for orders with no match (default value 0.1). */
        FLOOR,
        /** Method 2: add {@code value} to matches and totals from order 2 on (default value 1). */
        ADD_K,
        /** Method 3, mteval-v13a's (sacreBLEU's default): {@code 1 / (2^k · total)} for the k-th order with no match. */
        EXP
    }

    /** Tokenizers: sacreBLEU's {@code 13a} (the default) and {@code none} (split on whitespace only). */
    public enum Tokenize {
        TOKENIZE_13A, NONE
    }

    /**
     * Settings, as sacreBLEU's {@code BLEU(...)} arguments.
     *
     * @param smoothValue for FLOOR and ADD_K; NaN takes the method's default (0.1 and 1)
     */
    public record Settings(Tokenize tokenize, boolean lowercase, Smoothing smoothing, double smoothValue, boolean effectiveOrder) {
        /** sacreBLEU's corpus defaults: 13a, case-sensitive, exp smoothing, no effective order. */
        public static final Settings CORPUS = new Settings(Tokenize.TOKENIZE_13A, false, Smoothing.EXP, Double.NaN, false);
        /** {@code sacrebleu.sentence_bleu}'s defaults: as corpus, with effective order. */
        public static final Settings SENTENCE = new Settings(Tokenize.TOKENIZE_13A, false, Smoothing.EXP, Double.NaN, true);

        public Settings {
            if (tokenize == null || smoothing == null) {
                throw new IllegalArgumentException("BLEU settings: tokenize and smoothing are required");
            }
        }

        public Settings withSmoothing(Smoothing s, double value) {
            return new Settings(tokenize, lowercase, s, value, effectiveOrder);
        }

        public Settings withTokenize(Tokenize t) {
            return new Settings(t, lowercase, smoothing, smoothValue, effectiveOrder);
        }

        public Settings withLowercase(boolean lc) {
            return new Settings(tokenize, lc, smoothing, smoothValue, effectiveOrder);
        }

        public Settings withEffectiveOrder(boolean eff) {
            return new Settings(tokenize, lowercase, smoothing, smoothValue, eff);
        }
    }

    /**
     * A score with its sufficient statistics.
     *
     * @param score      0–100
     * @param correct    clipped matches per order 1..4
     * @param total      hypothesis n-grams per order 1..4
     * @param precisions per order, in percent
     */
    public record Score(double score, int[] correct, int[] total, double[] precisions, double brevityPenalty,
                        int hypothesisLength, int referenceLength) {
        /** sacreBLEU's verbose line: {@code 48.53 82.4/50.0/23.1/10.0 (BP = 1.000 ratio = ... )}. */
        @Override
        public String toString() {
            var p = new ArrayList<String>();
            for (double x : precisions) {
                p.add(String.format(Locale.ROOT, "%.1f", x));
            }
            double ratio = referenceLength == 0 ? 0 : (double) hypothesisLength / referenceLength;
            return String.format(Locale.ROOT, "BLEU = %.2f %s (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
                    score, String.join("/", p), brevityPenalty, ratio, hypothesisLength, referenceLength);
        }
    }

    private Bleu() {
    }

    /**
     * Corpus BLEU with sacreBLEU's defaults.
     *
     * @param hypotheses one string per segment
     * @param references one reference stream per reference set, each as long as {@code hypotheses}
     *                   (sacreBLEU's {@code refs} argument); a null entry means "no reference from this set"
     */
    public static Score corpus(List<String> hypotheses, List<List<String>> references) {
        return corpus(hypotheses, references, Settings.CORPUS);
    }

    public static Score corpus(List<String> hypotheses, List<List<String>> references, Settings settings) {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("BLEU: no reference stream");
        }
        for (int s = 0; s < references.size(); s++) {
            if (references.get(s).size() != hypotheses.size()) {
                throw new IllegalArgumentException("BLEU: reference stream " + s + " has " + references.get(s).size()
                        + " segments, the hypotheses " + hypotheses.size());
            }
        }
        long[] stats = new long[2 + 2 * MAX_ORDER];
        for (int i = 0; i < hypotheses.size(); i++) {
            var refs = new ArrayList<String>();
            for (List<String> stream : references) {
                if (stream.get(i) != null) {
                    refs.add(stream.get(i));
                }
            }
            if (refs.isEmpty()) {
                throw new IllegalArgumentException("BLEU: segment " + i + " has no reference");
            }
            String hyp = hypotheses.get(i);
            if (hyp == null) {
                throw new IllegalArgumentException("BLEU: hypothesis " + i + " is null");
            }
            long[] seg = segmentStatistics(hyp, refs, settings);
            for (int k = 0; k < stats.length; k++) {
                stats[k] += seg[k];
            }
        }
        int[] correct = new int[MAX_ORDER];
        int[] total = new int[MAX_ORDER];
        for (int n = 0; n < MAX_ORDER; n++) {
            correct[n] = Math.toIntExact(stats[2 + n]);
            total[n] = Math.toIntExact(stats[2 + MAX_ORDER + n]);
        }
        return compute(correct, total, Math.toIntExact(stats[0]), Math.toIntExact(stats[1]), settings);
    }

    /** Sentence BLEU against one or more references, as {@code sacrebleu.sentence_bleu} (effective order on). */
    public static Score sentence(String hypothesis, List<String> references) {
        return sentence(hypothesis, references, Settings.SENTENCE);
    }

    public static Score sentence(String hypothesis, List<String> references, Settings settings) {
        var streams = new ArrayList<List<String>>();
        for (String r : references) {
            streams.add(java.util.Collections.singletonList(r));
        }
        return corpus(List.of(hypothesis), streams, settings);
    }

    /**
     * The score from sufficient statistics (sacreBLEU's {@code compute_bleu}).
     *
     * @param correct clipped matches per order (copied, not changed)
     * @param total   hypothesis n-grams per order (copied, not changed)
     */
    public static Score compute(int[] correct, int[] total, int sysLen, int refLen, Settings settings) {
        if (correct.length != MAX_ORDER || total.length != MAX_ORDER) {
            throw new IllegalArgumentException("BLEU: statistics need " + MAX_ORDER + " orders, got "
                    + correct.length + " and " + total.length);
        }
        double bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0) : 1.0;
        double[] precisions = new double[MAX_ORDER];
        if (Arrays.stream(correct).allMatch(c -> c == 0)) {
            return new Score(0.0, correct.clone(), total.clone(), precisions, bp, sysLen, refLen);
        }
        double smoothValue = settings.smoothValue();
        if (Double.isNaN(smoothValue)) {
            smoothValue = settings.smoothing() == Smoothing.FLOOR ? 0.1 : 1.0;
        }
        double[] c = new double[MAX_ORDER];
        double[] t = new double[MAX_ORDER];
        for (int n = 0; n < MAX_ORDER; n++) {
            c[n] = correct[n];
            t[n] = total[n];
        }
        double smoothMteval = 1;
        int effOrder = MAX_ORDER;
        for (int n = 1; n <= MAX_ORDER; n++) {
            if (settings.smoothing() == Smoothing.ADD_K && n > 1) {
                c[n - 1] += smoothValue;
                t[n - 1] += smoothValue;
            }
            if (t[n - 1] == 0) {
                break;
            }
            if (settings.effectiveOrder()) {
                effOrder = n;
            }
            if (c[n - 1] == 0) {
                if (settings.smoothing() == Smoothing.EXP) {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * t[n - 1]);
                } else if (settings.smoothing() == Smoothing.FLOOR) {
                    precisions[n - 1] = 100.0 * smoothValue / t[n - 1];
                }
            } else {
                precisions[n - 1] = 100.0 * c[n - 1] / t[n - 1];
            }
        }
        double logSum = 0;
        for (int n = 0; n < effOrder; n++) {
            // sacreBLEU's my_log: log(0) is a large negative number rather than -inf, so the score is exactly 0.
            logSum += precisions[n] == 0 ? -9999999999.0 : Math.log(precisions[n]);
        }
        double score = bp * Math.exp(logSum / effOrder);
        return new Score(score, correct.clone(), total.clone(), precisions, bp, sysLen, refLen);
    }

    /** [hypLen, refLen, correct x4, total x4] for one segment. */
    static long[] segmentStatistics(String hypothesis, List<String> references, Settings settings) {
        Map<List<String>, Integer> refNgrams = null;
        var refLens = new ArrayList<Integer>();
        for (String ref : references) {
            List<String> tokens = PyText.split(preprocess(ref, settings));
            refLens.add(tokens.size());
            Map<List<String>, Integer> these = ngrams(tokens);
            if (refNgrams == null) {
                refNgrams = these;
            } else {
                for (var e : these.entrySet()) {
                    refNgrams.merge(e.getKey(), e.getValue(), Math::max);
                }
            }
        }
        List<String> hypTokens = PyText.split(preprocess(hypothesis, settings));
        int hypLen = hypTokens.size();
        int refLen = closestReferenceLength(hypLen, refLens);
        long[] out = new long[2 + 2 * MAX_ORDER];
        out[0] = hypLen;
        out[1] = refLen;
        for (var e : ngrams(hypTokens).entrySet()) {
            int n = e.getKey().size() - 1;
            out[2 + MAX_ORDER + n] += e.getValue();
            Integer inRef = refNgrams.get(e.getKey());
            if (inRef != null) {
                out[2 + n] += Math.min(e.getValue(), inRef);
            }
        }
        return out;
    }

    /** The reference length closest to the hypothesis length; the shorter one on a tie. */
    static int closestReferenceLength(int hypLen, List<Integer> refLens) {
        int closestDiff = -1;
        int closestLen = -1;
        for (int len : refLens) {
            int diff = Math.abs(hypLen - len);
            if (closestDiff == -1 || diff < closestDiff) {
                closestDiff = diff;
                closestLen = len;
            } else if (diff == closestDiff && len < closestLen) {
                closestLen = len;
            }
        }
        return closestLen;
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens) {
        var counts = new HashMap<List<String>, Integer>();
        for (int n = 1; n <= MAX_ORDER; n++) {
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(tokens.subList(i, i + n), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** sacreBLEU's segment preprocessing: optional lowercasing, {@code rstrip()}, then the tokenizer. */
    static String preprocess(String segment, Settings settings) {
        String s = settings.lowercase() ? segment.toLowerCase(Locale.ROOT) : segment;
        s = PyText.rstrip(s);
        return settings.tokenize() == Tokenize.TOKENIZE_13A ? tokenize13a(s) : s;
    }

    // mteval-v13a's language-dependent rules, as sacreBLEU's TokenizerRegexp applies them in order.
    private static final Pattern PUNCTUATION = Pattern.compile("([{-~\\[-` -&(-+:-@/])");
    private static final Pattern PERIOD_COMMA_AFTER_NON_DIGIT = Pattern.compile("([^0-9])([.,])");
    private static final Pattern PERIOD_COMMA_BEFORE_NON_DIGIT = Pattern.compile("([.,])([^0-9])");
    private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

    /**
     * The {@code 13a} tokenizer: unescape a few XML entities, join lines, then split off
     * punctuation and symbols (periods and commas only when not between digits, dashes after digits).
     * Returns the tokens joined by single spaces.
     */
    public static String tokenize13a(String line) {
        String s = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
                .replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
        s = " " + s + " ";
        s = PUNCTUATION.matcher(s).replaceAll(" $1 ");
        s = PERIOD_COMMA_AFTER_NON_DIGIT.matcher(s).replaceAll("$1 $2 ");
        s = PERIOD_COMMA_BEFORE_NON_DIGIT.matcher(s).replaceAll(" $1 $2");
        s = DASH_AFTER_DIGIT.matcher(s).replaceAll("$1 $2 ");
        return String.join(" ", PyText.split(s));
    }
}
