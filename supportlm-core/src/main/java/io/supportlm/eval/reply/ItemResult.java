package io.supportlm.eval.reply;

/**
 * The outcome for one suite question.
 *
 * @param base    null when no base model is compared
 * @param verdict null without a base model or a judge
 */
public record ItemResult(SuiteItem item, ScoredAnswer tuned, ScoredAnswer base, Judge.Verdict verdict) {
}
