/**
 * Evaluation of classifiers: metrics and the reports written from them.
 *
 * <p>The flow: the classifier turns each example into an {@link io.supportlm.eval.ExampleResult} (a
 * {@link io.supportlm.eval.TaskPrediction} per task, rankings from {@link io.supportlm.eval.TopK#rank}),
 * {@link io.supportlm.eval.EvaluationReport#of} scores every task with
 * {@link io.supportlm.eval.ClassificationMetrics} (scikit-learn's definitions, documented there), and
 * {@link io.supportlm.eval.ReportWriter#write} puts {@code metrics.json}, {@code predictions.csv},
 * {@code summary.md} and the PNG charts into {@code results/<run-id>/}, returning the console table for the
 * caller to print. Nothing here prints or exits.
 */
package io.supportlm.eval;
