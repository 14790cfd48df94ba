package io.supportlm.eval;

import java.util.List;

/**
 * The predictions for one task over a list of examples, laid out as the columns the metrics read.
 *
 * @param task the task and its labels
 * @param rows one prediction per example, in example order
 */
public record TaskPredictions(TaskLabels task, List<TaskPrediction> rows) {
    public TaskPredictions {
        rows = List.copyOf(rows);
    }

    /** Collects the column of {@code task} from every example. */
    public static TaskPredictions of(TaskLabels task, List<ExampleResult> examples) {
        return new TaskPredictions(task, examples.stream().map(e -> e.prediction(task.task())).toList());
    }

    /** The task's metrics, with top-k accuracy for each k in {@code ks}. */
    public ClassificationMetrics metrics(int[] ks) {
        int n = rows.size();
        int[] gold = new int[n];
        int[] predicted = new int[n];
        int[][] ranked = new int[n][];
        for (int i = 0; i < n; i++) {
            TaskPrediction row = rows.get(i);
            gold[i] = row.gold();
            predicted[i] = row.predicted();
            ranked[i] = row.ranked();
        }
        return ClassificationMetrics.compute(task, gold, predicted, ranked, ks);
    }
}
