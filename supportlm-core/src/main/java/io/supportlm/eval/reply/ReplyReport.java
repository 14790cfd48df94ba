package io.supportlm.eval.reply;

import java.util.List;
import java.util.Map;

/**
 * The result of evaluating a suite.
 *
 * @param setup   what ran: suite, models, sizes, generation settings, judge
 * @param items   per question, in suite order
 * @param tuned   the model under test
 * @param base    the base model, or null when none was compared
 * @param judge   win/tie/loss of tuned against base, or null without a base model
 * @param byGroup per category (else intent, else kind), in order of first appearance
 */
public record ReplyReport(Setup setup, List<ItemResult> items, ModelSummary tuned, ModelSummary base, JudgeSummary judge,
                          Map<String, GroupSummary> byGroup) {

    /**
     * @param modelBytes   the base model's files on disk
     * @param adapterBytes the adapter's files on disk (0 without an adapter)
     */
    public record Setup(String suite, String tunedModel, String baseModel, String adapter, long modelBytes, long adapterBytes,
                        int maxNewTokens, String decoding, String judge) {
    }

    /** Win/tie/loss counts and rates (rates over the judged questions). */
    public record JudgeSummary(String judge, int wins, int ties, int losses) {
        public int judged() {
            return wins + ties + losses;
        }

        public double winRate() {
            return judged() == 0 ? Double.NaN : (double) wins / judged();
        }

        public double tieRate() {
            return judged() == 0 ? Double.NaN : (double) ties / judged();
        }

        public double lossRate() {
            return judged() == 0 ? Double.NaN : (double) losses / judged();
        }

        static JudgeSummary of(String judge, List<ItemResult> items) {
            int w = 0;
            int t = 0;
            int l = 0;
            for (ItemResult r : items) {
                if (r.verdict() == null) {
                    continue;
                }
                switch (r.verdict().outcome()) {
                    case WIN -> w++;
                    case TIE -> t++;
                    case LOSS -> l++;
                }
            }
            return new JudgeSummary(judge, w, t, l);
        }
    }

    /** One group's figures for both models (base fields null without a base model). */
    public record GroupSummary(String group, int questions, ModelSummary tuned, ModelSummary base, JudgeSummary judge) {
    }
}
