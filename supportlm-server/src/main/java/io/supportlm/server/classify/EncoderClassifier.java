package io.supportlm.server.classify;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.classify.MultiTaskClassifier;
import io.supportlm.model.hf.HfTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ClassificationBackend} over a {@link MultiTaskClassifier}, or an ensemble of them over the
 * same tasks (each member's softmax averaged, as {@code eval} and {@code classify} score an
 * ensemble): tokenizes the batch (right
 * padding, truncation to {@code maxLength}), runs it in forwards of at most {@code maxBatch} texts
 * of similar length (inference mode), and reads each task's softmax. The workspace holds
 * {@code maxBatch} rows and grows with the longest forward seen (in steps of {@value #LENGTH_STEP}
 * tokens, up to {@code maxLength}), so a server that sees short tickets never pays for the longest.
 */
public final class EncoderClassifier implements ClassificationBackend {
    static final int LENGTH_STEP = 32;
    /** A forward may spend at most this factor of its real tokens on padded ones. */
    static final double PADDING_SLACK = 1.25;

    private final List<MultiTaskClassifier> members;
    private final HfTokenizer tokenizer;
    private final int maxBatch;
    private final int maxLength;
    private final MultiTaskClassifier.Workspace[] workspaces; // one per member, grown on demand
    private int workspaceLength;

    public EncoderClassifier(MultiTaskClassifier model, HfTokenizer tokenizer, int maxBatch, int maxLength) {
        this(List.of(model), tokenizer, maxBatch, maxLength);
    }

    /** An ensemble: every member must have the same tasks with the same labels in the same order. */
    public EncoderClassifier(List<MultiTaskClassifier> members, HfTokenizer tokenizer, int maxBatch, int maxLength) {
        MultiTaskClassifier.requireSameTasks(members);
        if (maxBatch < 1 || maxLength < 2) {
            throw new IllegalArgumentException("classifier batch must be ≥ 1 and length ≥ 2, got " + maxBatch + " and " + maxLength);
        }
        if (tokenizer.padId().isEmpty()) {
            throw new IllegalArgumentException(tokenizer.file() + ": batching needs a pad token, and neither "
                    + "tokenizer_config.json nor config.json names one");
        }
        this.members = List.copyOf(members);
        this.workspaces = new MultiTaskClassifier.Workspace[members.size()];
        this.tokenizer = tokenizer;
        this.maxBatch = maxBatch;
        this.maxLength = maxLength;
    }

    @Override
    public List<ClassificationTask> tasks() {
        return members.get(0).tasks();
    }

    @Override
    public synchronized Output classify(List<String> texts) {
        HfTokenizer.Batch batch = tokenizer.encodeBatch(texts, true, maxLength, HfTokenizer.PaddingSide.RIGHT);
        int[] lengths = new int[texts.size()];
        long tokens = 0;
        for (int i = 0; i < lengths.length; i++) {
            for (int m : batch.attentionMask()[i]) {
                lengths[i] += m;
            }
            tokens += lengths[i];
        }
        Row[] rows = new Row[texts.size()];
        for (int[] group : groups(lengths, maxBatch)) {
            forward(batch, group, lengths, rows);
        }
        return new Output(List.of(rows), tokens);
    }

    /**
     * Splits a batch into forwards of at most {@code maxBatch} texts of similar length. A forward
     * is padded to its longest text, so a batch of a few long and many short tickets would spend
     * most of its compute on padding: texts are sorted by length and a group grows while its padded
     * size stays within {@link #PADDING_SLACK} of its real tokens (right-padded rows compute the
     * same whatever the padding, so grouping changes no answer).
     */
    static List<int[]> groups(int[] lengths, int maxBatch) {
        Integer[] order = new Integer[lengths.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> lengths[i]));
        List<int[]> groups = new ArrayList<>();
        int start = 0;
        long real = 0;
        for (int k = 0; k < order.length; k++) {
            int longest = lengths[order[k]]; // sorted: the newest member is the longest
            int count = k - start + 1;
            if (count > 1 && (count > maxBatch || (long) count * longest > PADDING_SLACK * (real + longest))) {
                groups.add(slice(order, start, k));
                start = k;
                real = 0;
            }
            real += longest;
        }
        if (start < order.length) {
            groups.add(slice(order, start, order.length));
        }
        return groups;
    }

    private static int[] slice(Integer[] order, int from, int to) {
        int[] out = new int[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = order[i];
        }
        return out;
    }

    /** One forward over the texts {@code group} (indices into the batch), padded to the group's longest; fills their rows. */
    private void forward(HfTokenizer.Batch batch, int[] group, int[] lengths, Row[] rows) {
        int B = group.length;
        int T = 0;
        for (int i : group) {
            T = Math.max(T, lengths[i]);
        }
        int[] ids = new int[B * T];
        int[] mask = new int[B * T];
        for (int b = 0; b < B; b++) { // the batch's rows are right-padded to its longest, at least T
            System.arraycopy(batch.ids()[group[b]], 0, ids, b * T, T);
            System.arraycopy(batch.attentionMask()[group[b]], 0, mask, b * T, T);
        }
        if (workspaces[0] == null || workspaceLength < T) {
            workspaceLength = Math.min(maxLength, (T + LENGTH_STEP - 1) / LENGTH_STEP * LENGTH_STEP);
            java.util.Arrays.fill(workspaces, null); // let the smaller ones go before allocating the larger
            for (int m = 0; m < members.size(); m++) {
                workspaces[m] = members.get(m).allocate(maxBatch, workspaceLength);
            }
        }
        for (int m = 0; m < members.size(); m++) {
            members.get(m).forward(workspaces[m], ids, mask, B, T, false, 0, 0);
        }
        List<ClassificationTask> tasks = tasks();
        for (int b = 0; b < B; b++) {
            List<TaskProbabilities> perTask = new ArrayList<>(tasks.size());
            for (int t = 0; t < tasks.size(); t++) {
                perTask.add(new TaskProbabilities(tasks.get(t), MultiTaskClassifier.meanProbabilities(members, workspaces, t, b)));
            }
            rows[group[b]] = new Row(perTask);
        }
    }
}
