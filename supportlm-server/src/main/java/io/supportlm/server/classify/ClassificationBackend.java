package io.supportlm.server.classify;

import io.supportlm.classify.ClassificationTask;
import java.util.List;

/**
 * A model that classifies a batch of texts in one pass: what the micro-batcher calls. One
 * implementation runs {@link io.supportlm.classify.MultiTaskClassifier} over a tokenizer
 * ({@link EncoderClassifier}); the seam lets other model families serve the same API.
 */
public interface ClassificationBackend {
    /** The tasks every answer covers, in order. */
    List<ClassificationTask> tasks();

    /** Classifies {@code texts}; the output has one row per text, in order. Called from one thread at a time. */
    Output classify(List<String> texts);

    /** One text's answer: the probabilities of every task, in {@link #tasks()} order. */
    record Row(List<TaskProbabilities> tasks) {
        public Row {
            tasks = List.copyOf(tasks);
        }
    }

    /** The rows of a batch and how many (non-padding) tokens it read. */
    record Output(List<Row> rows, long tokens) {
        public Output {
            rows = List.copyOf(rows);
        }
    }
}
