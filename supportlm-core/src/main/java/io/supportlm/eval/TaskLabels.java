package io.supportlm.eval;

import java.util.HashSet;
import java.util.List;

/**
 * One classification task and its label names; a label's index in {@code labels} is its class id.
 *
 * @param task the task name ({@code intent}, {@code urgency}, ...), used in file names and report headings
 * @param labels the class names, non-blank and distinct, at least one
 */
public record TaskLabels(String task, List<String> labels) {
    public TaskLabels {
        if (task == null || task.isBlank()) {
            throw new IllegalArgumentException("task name must not be blank");
        }
        if (labels == null || labels.isEmpty()) {
            throw new IllegalArgumentException("task '" + task + "' needs at least one label name");
        }
        labels = List.copyOf(labels);
        var seen = new HashSet<String>();
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            if (label.isBlank()) {
                throw new IllegalArgumentException("task '" + task + "': label " + i + " is blank");
            }
            if (!seen.add(label)) {
                throw new IllegalArgumentException("task '" + task + "': label '" + label + "' appears twice");
            }
        }
    }

    public int size() {
        return labels.size();
    }

    /** The name of class {@code index}, checked against the range. */
    public String label(int index) {
        if (index < 0 || index >= labels.size()) {
            throw new IllegalArgumentException("task '" + task + "': label index " + index
                    + " is outside [0, " + labels.size() + ")");
        }
        return labels.get(index);
    }
}
