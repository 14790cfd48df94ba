package io.supportlm.eval.reply;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a suite: every question is answered by the tuned responder and, when given, the base
 * responder (each first answers the first question once, untimed, to warm up); each answer is scored (sentence BLEU, ROUGE-L, exact match, hallucination rubric,
 * refusal), the judge compares the two, and everything is summarized overall and per group.
 * Nothing here prints or writes files; {@link ReplyReportWriter} does that.
 */
public final class ReplyEvaluation {
    /** Called after each question, for progress output. */
    @FunctionalInterface
    public interface Progress {
        void done(int answered, int total, ItemResult last);
    }

    private ReplyEvaluation() {
    }

    /**
     * @param base   the base model's responder, or null to evaluate {@code tuned} alone
     * @param judge  compares tuned with base; ignored without a base
     * @param setup  recorded in the report as it is
     */
    public static ReplyReport run(EvalSuite suite, Responder tuned, Responder base, Judge judge, RefusalDetector refusals,
                                  ReplyReport.Setup setup, Progress progress) {
        // One untimed answer per model first, so that JIT compilation does not land in the first question's latency.
        SuiteItem first = suite.items().getFirst();
        answer(tuned, first);
        if (base != null) {
            answer(base, first);
        }
        var results = new ArrayList<ItemResult>();
        int total = suite.items().size();
        for (SuiteItem item : suite.items()) {
            ScoredAnswer t = ScoredAnswer.score(item, answer(tuned, item), refusals);
            ScoredAnswer b = base == null ? null : ScoredAnswer.score(item, answer(base, item), refusals);
            Judge.Verdict v = base == null || judge == null ? null : judge.judge(item, t.answer().text(), b.answer().text());
            ItemResult r = new ItemResult(item, t, b, v);
            results.add(r);
            if (progress != null) {
                progress.done(results.size(), total, r);
            }
        }
        return summarize(results, tuned.name(), base == null ? null : base.name(), base == null || judge == null ? null : judge.description(),
                setup);
    }

    /** The report for results already computed (also used by tests). */
    static ReplyReport summarize(List<ItemResult> results, String tunedName, String baseName, String judgeDescription,
                                 ReplyReport.Setup setup) {
        boolean withBase = baseName != null;
        ModelSummary tunedSummary = ModelSummary.of(tunedName, results, ItemResult::tuned);
        ModelSummary baseSummary = withBase ? ModelSummary.of(baseName, results, ItemResult::base) : null;
        ReplyReport.JudgeSummary judged = judgeDescription == null ? null : ReplyReport.JudgeSummary.of(judgeDescription, results);
        Map<String, List<ItemResult>> groups = new LinkedHashMap<>();
        for (ItemResult r : results) {
            groups.computeIfAbsent(r.item().group(), k -> new ArrayList<>()).add(r);
        }
        var byGroup = new LinkedHashMap<String, ReplyReport.GroupSummary>();
        for (var g : groups.entrySet()) {
            byGroup.put(g.getKey(), new ReplyReport.GroupSummary(g.getKey(), g.getValue().size(),
                    ModelSummary.of(tunedName, g.getValue(), ItemResult::tuned),
                    withBase ? ModelSummary.of(baseName, g.getValue(), ItemResult::base) : null,
                    judged == null ? null : ReplyReport.JudgeSummary.of(judgeDescription, g.getValue())));
        }
        return new ReplyReport(setup, results, tunedSummary, baseSummary, judged, byGroup);
    }

    private static Responder.Answer answer(Responder responder, SuiteItem item) {
        try {
            return responder.answer(item.question(), item.context());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("suite item '" + item.id() + "' (" + responder.name() + "): " + e.getMessage(), e);
        }
    }
}
