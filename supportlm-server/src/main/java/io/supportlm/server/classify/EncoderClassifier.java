package io.supportlm.server.classify;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.model.hf.HfTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ClassificationBackend} over a {@link MultiTaskClassifier}: tokenizes the batch (right
 * padding, truncation to {@code maxLength}), runs one forward in inference mode, and reads each
 * task's softmax. The workspace holds {@code maxBatch} rows and grows with the longest batch
 * seen (in steps of {@value #LENGTH_STEP} tokens, up to {@code maxLength}), so a server that sees
 * short tickets never pays for the longest ones; a larger batch runs in slices.
 */
public final class EncoderClassifier implements ClassificationBackend {
    static final int LENGTH_STEP = 32;

    private final MultiTaskClassifier model;
    private final HfTokenizer tokenizer;
    private final int maxBatch;
    private final int maxLength;
    private MultiTaskClassifier.Workspace workspace; // grown on demand
    private int workspaceLength;

    public EncoderClassifier(MultiTaskClassifier model, HfTokenizer tokenizer, int maxBatch, int maxLength) {
        if (maxBatch < 1 || maxLength < 2) {
            throw new IllegalArgumentException("classifier batch must be ≥ 1 and length ≥ 2, got " + maxBatch + " and " + maxLength);
        }
        if (tokenizer.padId().isEmpty()) {
            throw new IllegalArgumentException(tokenizer.file() + ": batching needs a pad token, and neither "
                    + "tokenizer_config.json nor config.json names one");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxBatch = maxBatch;
        this.maxLength = maxLength;
    }

    @Override
    public List<ClassificationTask> tasks() {
        return model.tasks();
    }

    @Override
    public synchronized Output classify(List<String> texts) {
        List<Row> rows = new ArrayList<>(texts.size());
        long tokens = 0;
        for (int from = 0; from < texts.size(); from += maxBatch) {
            List<String> slice = texts.subList(from, Math.min(texts.size(), from + maxBatch));
            tokens += forward(slice, rows);
        }
        return new Output(rows, tokens);
    }

    private long forward(List<String> texts, List<Row> rows) {
        HfTokenizer.Batch batch = tokenizer.encodeBatch(texts, true, maxLength, HfTokenizer.PaddingSide.RIGHT);
        int B = batch.size();
        int T = batch.length();
        int[] ids = new int[B * T];
        int[] mask = new int[B * T];
        long tokens = 0;
        for (int b = 0; b < B; b++) {
            System.arraycopy(batch.ids()[b], 0, ids, b * T, T);
            System.arraycopy(batch.attentionMask()[b], 0, mask, b * T, T);
            for (int m : batch.attentionMask()[b]) {
                tokens += m;
            }
        }
        if (workspace == null || workspaceLength < T) {
            workspaceLength = Math.min(maxLength, (T + LENGTH_STEP - 1) / LENGTH_STEP * LENGTH_STEP);
            workspace = null; // let the smaller one go before allocating the larger
            workspace = model.allocate(maxBatch, workspaceLength);
        }
        model.forward(workspace, ids, mask, B, T, false, 0, 0);
        List<ClassificationTask> tasks = model.tasks();
        for (int b = 0; b < B; b++) {
            List<TaskProbabilities> perTask = new ArrayList<>(tasks.size());
            for (int t = 0; t < tasks.size(); t++) {
                perTask.add(new TaskProbabilities(tasks.get(t), model.probabilities(workspace, t, b)));
            }
            rows.add(new Row(perTask));
        }
        return tokens;
    }
}
