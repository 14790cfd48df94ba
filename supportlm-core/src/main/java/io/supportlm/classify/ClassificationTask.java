package io.supportlm.classify;

import java.util.List;

/**
 * One classification task of a multi-task model: its name (a label field of the data, e.g.
 * {@code queue}), its label set in index order, its weight in the summed loss, and optional
 * per-class weights for imbalanced labels (PyTorch's weighted cross-entropy), and the label
 * smoothing of its training loss (PyTorch's {@code label_smoothing}; 0 = plain one-hot targets).
 */
public record ClassificationTask(String name, List<String> labels, float lossWeight, float[] classWeights,
                                 float labelSmoothing) {
    /** A task trained on plain one-hot targets. */
    public ClassificationTask(String name, List<String> labels, float lossWeight, float[] classWeights) {
        this(name, labels, lossWeight, classWeights, 0f);
    }

    public ClassificationTask {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a task needs a name");
        }
        if (labels == null || labels.size() < 2) {
            throw new IllegalArgumentException("task '" + name + "' needs at least two labels, got " + labels);
        }
        labels = List.copyOf(labels);
        if (labels.stream().distinct().count() != labels.size()) {
            throw new IllegalArgumentException("task '" + name + "' has duplicate labels: " + labels);
        }
        if (!(lossWeight > 0)) {
            throw new IllegalArgumentException("task '" + name + "' loss weight must be positive, got " + lossWeight);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("task '" + name + "' label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (classWeights != null && classWeights.length != labels.size()) {
            throw new IllegalArgumentException("task '" + name + "' has " + labels.size() + " labels but "
                    + classWeights.length + " class weights");
        }
    }

    /**
     * Whether two task lists predict the same things: the same names with the same labels in the
     * same order (loss weights may differ). Models that agree on this can be ensembled or compared.
     */
    public static boolean sameLabels(List<ClassificationTask> a, List<ClassificationTask> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).name().equals(b.get(i).name()) || !a.get(i).labels().equals(b.get(i).labels())) {
                return false;
            }
        }
        return true;
    }

    public int numLabels() {
        return labels.size();
    }

    /** The index of a label; an error naming the task and the known labels when unknown. */
    public int indexOf(String label) {
        int i = labels.indexOf(label);
        if (i < 0) {
            throw new IllegalArgumentException("task '" + name + "': unknown label '" + label + "' (known: " + labels + ")");
        }
        return i;
    }
}
