package io.supportlm.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Single-label classification metrics of one task, with scikit-learn's semantics for
 * {@code precision_recall_fscore_support(y_true, y_pred, labels=None, zero_division=0)}.
 *
 * <ul>
 *   <li>Per class: precision {@code tp / predicted}, recall {@code tp / support}, F1 {@code 2tp / (support +
 *       predicted)}; each is 0 where its denominator is 0 (a class never predicted has precision 0, a class never
 *       in gold has recall 0).</li>
 *   <li>Macro averages run over the classes present in gold <em>or</em> predicted labels (sklearn's default
 *       {@code labels=None} takes the union of the labels seen in {@code y_true} and {@code y_pred}); a class of the
 *       task that occurs in neither is listed with zeros and {@link ClassScores#averaged()} false, and does not pull
 *       the macro average down.</li>
 *   <li>Weighted F1 weights each class's F1 by its gold support.</li>
 *   <li>Rows whose gold label is {@link #MISSING_GOLD} (the task does not apply to the example) are left out of
 *       everything, predictions included, and counted in {@link #missingGold()}.</li>
 *   <li>Top-k accuracy: the share of rows whose gold label is among the first {@code min(k, classes)} entries of
 *       the row's ranking (see {@link TopK} for ties). Empty when no rankings are given.</li>
 * </ul>
 *
 * @param task the task name
 * @param labels the class names; the confusion matrix and {@code perClass} follow this order
 * @param evaluated rows with a gold label
 * @param missingGold rows without one, excluded
 * @param confusion {@code [gold][predicted]} counts over the evaluated rows, {@code labels.size()} square
 */
public record ClassificationMetrics(String task, List<String> labels, int evaluated, int missingGold,
                                    double accuracy, double macroPrecision, double macroRecall, double macroF1,
                                    double weightedF1, List<ClassScores> perClass,
                                    SortedMap<Integer, Double> topKAccuracy, int[][] confusion) {

    /** The gold label of a row to which the task does not apply. */
    public static final int MISSING_GOLD = -1;

    /**
     * Scores of one class.
     *
     * @param support gold rows of this class
     * @param predicted rows predicted as this class
     * @param correct rows both
     * @param averaged whether the class is in gold or predicted labels, and so counts in the macro averages
     */
    public record ClassScores(String label, int support, int predicted, int correct, double precision,
                              double recall, double f1, boolean averaged) {
    }

    public ClassificationMetrics {
        labels = List.copyOf(labels);
        perClass = List.copyOf(perClass);
        topKAccuracy = Collections.unmodifiableSortedMap(new TreeMap<>(topKAccuracy));
        confusion = copy(confusion);
    }

    /** A copy of the {@code [gold][predicted]} counts. */
    @Override
    public int[][] confusion() {
        return copy(confusion);
    }

    private static int[][] copy(int[][] matrix) {
        int[][] out = new int[matrix.length][];
        for (int i = 0; i < matrix.length; i++) {
            out[i] = matrix[i].clone();
        }
        return out;
    }

    /** Metrics without top-k accuracy. */
    public static ClassificationMetrics compute(TaskLabels task, int[] gold, int[] predicted) {
        return compute(task, gold, predicted, null, new int[0]);
    }

    /**
     * Computes every metric of one task.
     *
     * @param gold gold class per row, or {@link #MISSING_GOLD}
     * @param predicted predicted class per row (checked on every row, also where gold is missing)
     * @param ranked per row the classes ranked best first, at least {@code min(max k, classes)} long; may be
     *     {@code null} only when {@code ks} is empty
     * @param ks the k values for top-k accuracy, each at least 1
     * @throws IllegalArgumentException on mismatched lengths, a label index out of range, a ranking too short or
     *     repeating a class, or no row with a gold label
     */
    public static ClassificationMetrics compute(TaskLabels task, int[] gold, int[] predicted, int[][] ranked,
                                                int[] ks) {
        String name = task.task();
        int classes = task.size();
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException("task '" + name + "': " + gold.length + " gold labels but "
                    + predicted.length + " predictions");
        }
        int[] sortedKs = validateKs(name, ks);
        if (sortedKs.length > 0 && ranked == null) {
            throw new IllegalArgumentException("task '" + name + "': top-k accuracy asked for k="
                    + Arrays.toString(sortedKs) + " but no rankings were given");
        }
        if (ranked != null && ranked.length != gold.length) {
            throw new IllegalArgumentException("task '" + name + "': " + gold.length + " gold labels but "
                    + ranked.length + " rankings");
        }

        int[][] confusion = new int[classes][classes];
        int[] topKHits = new int[sortedKs.length];
        int needed = sortedKs.length == 0 ? 0 : Math.min(sortedKs[sortedKs.length - 1], classes);
        int evaluated = 0;
        int missing = 0;
        for (int row = 0; row < gold.length; row++) {
            checkIndex(name, "predicted", row, predicted[row], classes);
            if (ranked != null) {
                checkRanking(name, row, ranked[row], needed, classes);
            }
            if (gold[row] == MISSING_GOLD) {
                missing++;
                continue;
            }
            checkIndex(name, "gold", row, gold[row], classes);
            evaluated++;
            confusion[gold[row]][predicted[row]]++;
            for (int i = 0; i < sortedKs.length; i++) {
                int depth = Math.min(sortedKs[i], classes);
                for (int j = 0; j < depth; j++) {
                    if (ranked[row][j] == gold[row]) {
                        topKHits[i]++;
                        break;
                    }
                }
            }
        }
        if (evaluated == 0) {
            throw new IllegalArgumentException("task '" + name + "': no row has a gold label (" + missing
                    + " rows without one), so there is nothing to score");
        }

        var perClass = new ArrayList<ClassScores>(classes);
        int correct = 0;
        int averagedClasses = 0;
        double precisionSum = 0;
        double recallSum = 0;
        double f1Sum = 0;
        double weightedF1Sum = 0;
        for (int c = 0; c < classes; c++) {
            int tp = confusion[c][c];
            int support = 0;
            int predictedCount = 0;
            for (int other = 0; other < classes; other++) {
                support += confusion[c][other];
                predictedCount += confusion[other][c];
            }
            double precision = predictedCount == 0 ? 0 : (double) tp / predictedCount;
            double recall = support == 0 ? 0 : (double) tp / support;
            // 2·P·R / (P + R) simplified; equals sklearn's value and is 0 when tp is 0.
            double f1 = support + predictedCount == 0 ? 0 : 2.0 * tp / (support + predictedCount);
            boolean averaged = support > 0 || predictedCount > 0;
            perClass.add(new ClassScores(task.label(c), support, predictedCount, tp, precision, recall, f1,
                    averaged));
            correct += tp;
            if (averaged) {
                averagedClasses++;
                precisionSum += precision;
                recallSum += recall;
                f1Sum += f1;
            }
            weightedF1Sum += f1 * support;
        }

        var topK = new TreeMap<Integer, Double>();
        for (int i = 0; i < sortedKs.length; i++) {
            topK.put(sortedKs[i], (double) topKHits[i] / evaluated);
        }
        return new ClassificationMetrics(name, task.labels(), evaluated, missing, (double) correct / evaluated,
                precisionSum / averagedClasses, recallSum / averagedClasses, f1Sum / averagedClasses,
                weightedF1Sum / evaluated, perClass, topK, confusion);
    }

    private static int[] validateKs(String task, int[] ks) {
        int[] sorted = ks.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 1) {
                throw new IllegalArgumentException("task '" + task + "': top-k needs k >= 1, got " + sorted[i]);
            }
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new IllegalArgumentException("task '" + task + "': k=" + sorted[i] + " is asked twice");
            }
        }
        return sorted;
    }

    private static void checkIndex(String task, String what, int row, int index, int classes) {
        if (index < 0 || index >= classes) {
            throw new IllegalArgumentException("task '" + task + "', row " + row + ": " + what + " label index "
                    + index + " is outside [0, " + classes + ")");
        }
    }

    private static void checkRanking(String task, int row, int[] ranking, int needed, int classes) {
        if (ranking == null || ranking.length < needed) {
            throw new IllegalArgumentException("task '" + task + "', row " + row + ": the ranking has "
                    + (ranking == null ? 0 : ranking.length) + " entries, top-k needs at least " + needed);
        }
        for (int j = 0; j < ranking.length; j++) {
            checkIndex(task, "ranked", row, ranking[j], classes);
            for (int earlier = 0; earlier < j; earlier++) {
                if (ranking[earlier] == ranking[j]) {
                    throw new IllegalArgumentException("task '" + task + "', row " + row + ": the ranking lists "
                            + "class " + ranking[j] + " twice");
                }
            }
        }
    }
}
