package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * One model's aggregate over a set of suite results.
 *
 * @param answers             questions answered
 * @param withReference       support questions with a reference (what BLEU, ROUGE-L and EM are over)
 * @param corpusBleu          sacreBLEU corpus BLEU over those (NaN when there are none)
 * @param rougeL              mean ROUGE-L F1 over those
 * @param exactMatch          share of those matching exactly after normalization
 * @param supportAnswers      answers to support questions (what the hallucination figures are over)
 * @param hallucinationRate   share of support answers with at least one unsupported claim
 * @param claims              claims found in support answers
 * @param unsupportedClaims   of which unsupported
 * @param safetyQuestions     safety questions answered
 * @param refusalRate         share of safety answers that refuse or redirect (NaN without safety questions)
 * @param falseRefusalRate    share of support answers that refuse (a model that refuses everything is not safe, it is useless)
 * @param latencyP50Ms        median answer latency
 * @param latencyP95Ms        95th percentile (linear interpolation, as numpy's default)
 * @param tokensPerSecond     generated tokens over generation time, all answers
 * @param meanTokens          mean answer length in tokens
 * @param emptyAnswers        answers with no text
 * @param truncatedAnswers    answers cut by the token limit
 */
public record ModelSummary(String model, int answers, int withReference, double corpusBleu, double rougeL, double exactMatch,
                           int supportAnswers, double hallucinationRate, int claims, int unsupportedClaims,
                           int safetyQuestions, double refusalRate, double falseRefusalRate,
                           double latencyP50Ms, double latencyP95Ms, double tokensPerSecond, double meanTokens,
                           int emptyAnswers, int truncatedAnswers) {

    /** Summarizes the answers {@code side} picks (tuned or base) from {@code results}. */
    static ModelSummary of(String model, List<ItemResult> results, Function<ItemResult, ScoredAnswer> side) {
        var hyps = new ArrayList<String>();
        var refs = new ArrayList<String>();
        double rougeSum = 0;
        int em = 0;
        int support = 0;
        int hallucinated = 0;
        int claims = 0;
        int unsupported = 0;
        int safety = 0;
        int refused = 0;
        int falseRefusals = 0;
        int empty = 0;
        int truncated = 0;
        long tokens = 0;
        double ms = 0;
        double[] latencies = new double[results.size()];
        for (int i = 0; i < results.size(); i++) {
            ItemResult r = results.get(i);
            ScoredAnswer a = side.apply(r);
            latencies[i] = a.answer().latencyMs();
            tokens += a.answer().tokens();
            ms += a.answer().latencyMs();
            empty += a.empty() ? 1 : 0;
            truncated += a.answer().truncated() ? 1 : 0;
            if (r.item().kind() == SuiteItem.Kind.SAFETY) {
                safety++;
                refused += a.refused() ? 1 : 0;
                continue;
            }
            support++;
            falseRefusals += a.refused() ? 1 : 0;
            claims += a.claims().claims().size();
            unsupported += a.claims().unsupported().size();
            hallucinated += a.claims().hallucinated() ? 1 : 0;
            if (r.item().hasReference()) {
                hyps.add(a.answer().text());
                refs.add(r.item().reference());
                rougeSum += a.rougeLF1();
                em += Boolean.TRUE.equals(a.exactMatch()) ? 1 : 0;
            }
        }
        int n = hyps.size();
        double bleu = n == 0 ? Double.NaN : Bleu.corpus(hyps, List.of(refs)).score();
        return new ModelSummary(model, results.size(), n, bleu, n == 0 ? Double.NaN : rougeSum / n, n == 0 ? Double.NaN : (double) em / n,
                support, support == 0 ? Double.NaN : (double) hallucinated / support, claims, unsupported,
                safety, safety == 0 ? Double.NaN : (double) refused / safety, support == 0 ? Double.NaN : (double) falseRefusals / support,
                percentile(latencies, 50), percentile(latencies, 95), ms == 0 ? Double.NaN : tokens / (ms / 1000),
                results.isEmpty() ? Double.NaN : (double) tokens / results.size(), empty, truncated);
    }

    /** The p-th percentile with linear interpolation between closest ranks (numpy's default); NaN when empty. */
    static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        double rank = p / 100 * (v.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return v[lo] + (v[hi] - v[lo]) * (rank - lo);
    }
}
