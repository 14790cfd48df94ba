package io.supportlm.eval;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation of one model on one split, over several tasks: metrics per task and the per-example rows they
 * came from. {@link ReportWriter} turns it into files.
 *
 * @param runId the run's id, also the name of its output folder under {@code results/}
 * @param model the name of the model as charts label it ({@code fine-tuned}, {@code base, untrained heads})
 * @param tasks the tasks in report order
 * @param examples the evaluated examples, each with a prediction for every task
 * @param ks the k values of top-k accuracy
 * @param metrics metrics per task name, in task order
 */
public record EvaluationReport(String runId, String model, List<TaskLabels> tasks, List<ExampleResult> examples,
                               int[] ks, Map<String, ClassificationMetrics> metrics) {

    public EvaluationReport {
        if (runId == null || !runId.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("run id must be letters, digits, '.', '_' or '-', got '" + runId
                    + "'");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (tasks.isEmpty()) {
            throw new IllegalArgumentException("a report needs at least one task");
        }
        var names = new HashSet<String>();
        for (TaskLabels t : tasks) {
            if (!t.task().matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("task name '" + t.task() + "' is used in file names: letters, "
                        + "digits, '.', '_' or '-' only");
            }
            if (!names.add(t.task())) {
                throw new IllegalArgumentException("task '" + t.task() + "' appears twice");
            }
            if (!metrics.containsKey(t.task())) {
                throw new IllegalArgumentException("no metrics for task '" + t.task() + "'");
            }
        }
        tasks = List.copyOf(tasks);
        examples = List.copyOf(examples);
        ks = ks.clone();
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /**
     * Scores every task over {@code examples}.
     *
     * @throws IllegalArgumentException if an example lacks a task, repeats an id, or any metric input is bad
     */
    public static EvaluationReport of(String runId, String model, List<TaskLabels> tasks,
                                      List<ExampleResult> examples, int... ks) {
        var ids = new HashSet<String>();
        for (ExampleResult e : examples) {
            if (!ids.add(e.id())) {
                throw new IllegalArgumentException("example id '" + e.id() + "' appears twice");
            }
        }
        var metrics = new LinkedHashMap<String, ClassificationMetrics>();
        for (TaskLabels task : tasks) {
            metrics.put(task.task(), TaskPredictions.of(task, examples).metrics(ks));
        }
        return new EvaluationReport(runId, model, tasks, examples, ks, metrics);
    }

    /** The metrics of {@code task}. */
    public ClassificationMetrics metrics(String task) {
        ClassificationMetrics m = metrics.get(task);
        if (m == null) {
            throw new IllegalArgumentException("report has no task '" + task + "' (it has " + metrics.keySet()
                    + ")");
        }
        return m;
    }

    /** Macro-F1 averaged over tasks, each task weighing the same. */
    public double meanMacroF1() {
        return metrics.values().stream().mapToDouble(ClassificationMetrics::macroF1).average().orElseThrow();
    }

    @Override
    public int[] ks() {
        return ks.clone();
    }

    @Override
    public String toString() {
        return "EvaluationReport[" + runId + ", " + model + ", tasks=" + metrics.keySet() + ", examples="
                + examples.size() + ", ks=" + Arrays.toString(ks) + "]";
    }
}
