package io.supportlm.server.classify;

import io.supportlm.classify.ClassificationTask;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A task's softmax probabilities for one text, with the best label and the top k. */
public record TaskProbabilities(ClassificationTask task, float[] probabilities) {
    /** One label and its probability. */
    public record LabelScore(String label, double score) {}

    public TaskProbabilities {
        if (probabilities.length != task.numLabels()) {
            throw new IllegalArgumentException("task '" + task.name() + "' has " + task.numLabels() + " labels but "
                    + probabilities.length + " probabilities");
        }
    }

    /** The {@code k} most probable labels, best first (ties keep label order). */
    public List<LabelScore> top(int k) {
        List<LabelScore> all = new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) {
            all.add(new LabelScore(task.labels().get(i), probabilities[i]));
        }
        all.sort(Comparator.comparingDouble(LabelScore::score).reversed());
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    public LabelScore best() {
        return top(1).getFirst();
    }
}
