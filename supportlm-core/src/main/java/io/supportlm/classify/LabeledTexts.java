package io.supportlm.classify;

import io.supportlm.data.SupportRecord;
import io.supportlm.kernels.CrossEntropy;
import io.supportlm.model.hf.HfTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Records tokenized once and labelled by task index: what training and evaluation iterate over.
 * A record without a label for a task has {@link CrossEntropy#IGNORE_INDEX} there; a label the
 * task does not know is an error naming the record, unless {@code unknownAsMissing} (evaluation
 * data may hold labels training never saw: they count as missing and are reported).
 */
public final class LabeledTexts {
    private final List<SupportRecord> records;
    private final int[][] ids; // per record, with special tokens, truncated
    private final int[][] labels; // [task][record]
    private final int unknownLabels;

    private LabeledTexts(List<SupportRecord> records, int[][] ids, int[][] labels, int unknownLabels) {
        this.records = records;
        this.ids = ids;
        this.labels = labels;
        this.unknownLabels = unknownLabels;
    }

    /** Label sets from training data: every value seen for each task, sorted. */
    public static List<List<String>> labelSets(List<SupportRecord> train, List<String> tasks) {
        List<List<String>> out = new ArrayList<>();
        for (String task : tasks) {
            TreeSet<String> seen = new TreeSet<>();
            for (SupportRecord r : train) {
                String l = r.label(task);
                if (l != null) {
                    seen.add(l);
                }
            }
            if (seen.size() < 2) {
                throw new IllegalArgumentException("task '" + task + "': the training data has " + seen.size()
                        + " distinct label(s) " + seen + "; a classifier needs at least two");
            }
            out.add(List.copyOf(seen));
        }
        return out;
    }

    public static LabeledTexts of(List<SupportRecord> records, List<ClassificationTask> tasks, HfTokenizer tokenizer,
                                  int maxLength, boolean unknownAsMissing) {
        int[][] ids = new int[records.size()][];
        int[][] labels = new int[tasks.size()][records.size()];
        int unknown = 0;
        for (int i = 0; i < records.size(); i++) {
            SupportRecord r = records.get(i);
            ids[i] = tokenizer.encode(r.mainText(), true, maxLength).ids();
            for (int t = 0; t < tasks.size(); t++) {
                ClassificationTask task = tasks.get(t);
                String l = r.label(task.name());
                if (l == null) {
                    labels[t][i] = CrossEntropy.IGNORE_INDEX;
                } else if (task.labels().contains(l)) {
                    labels[t][i] = task.labels().indexOf(l);
                } else if (unknownAsMissing) {
                    labels[t][i] = CrossEntropy.IGNORE_INDEX;
                    unknown++;
                } else {
                    throw new IllegalArgumentException("record " + r.id() + ": task '" + task.name() + "' label '" + l
                            + "' is not one of " + task.labels());
                }
            }
        }
        return new LabeledTexts(List.copyOf(records), ids, labels, unknown);
    }

    public int size() {
        return records.size();
    }

    public SupportRecord record(int i) {
        return records.get(i);
    }

    public int[] tokens(int i) {
        return ids[i];
    }

    /** Label index of record {@code i} for task {@code t}, or the ignore index. */
    public int label(int t, int i) {
        return labels[t][i];
    }

    /** Labels the tasks did not know (evaluation data only), counted as missing. */
    public int unknownLabels() {
        return unknownLabels;
    }

    public int maxTokens() {
        int m = 1;
        for (int[] x : ids) {
            m = Math.max(m, x.length);
        }
        return m;
    }

    /**
     * Inverse-frequency class weights, {@code n / (K · count_k)} as scikit-learn's "balanced";
     * a class absent from the data gets weight 1.
     */
    public float[] balancedWeights(int task, int numLabels) {
        int[] count = new int[numLabels];
        int n = 0;
        for (int i = 0; i < size(); i++) {
            int l = labels[task][i];
            if (l >= 0) {
                count[l]++;
                n++;
            }
        }
        float[] w = new float[numLabels];
        for (int k = 0; k < numLabels; k++) {
            w[k] = count[k] == 0 ? 1f : (float) n / (numLabels * count[k]);
        }
        return w;
    }

    /**
     * The batches of one epoch, as lists of record indices: records are shuffled with
     * {@code (seed, epoch)}, cut into chunks of 50 batches, each chunk sorted by length (so a batch
     * pads little) and cut into batches, and the batches shuffled again. The same seed and epoch
     * always give the same batches, which is what makes resuming exact.
     */
    public List<int[]> epochBatches(int batchSize, long seed, int epoch) {
        Random rng = new Random(seed * 1_000_003L + epoch);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, rng);
        List<int[]> batches = new ArrayList<>();
        int chunk = batchSize * 50;
        for (int c = 0; c < order.size(); c += chunk) {
            List<Integer> part = new ArrayList<>(order.subList(c, Math.min(order.size(), c + chunk)));
            part.sort((a, b) -> Integer.compare(ids[a].length, ids[b].length));
            for (int s = 0; s < part.size(); s += batchSize) {
                batches.add(part.subList(s, Math.min(part.size(), s + batchSize)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        java.util.Collections.shuffle(batches, rng);
        return batches;
    }

    /** A padded batch: ids and mask (B·T, right padding with {@code padId}) and labels per task. */
    public record Batch(int B, int T, int[] ids, int[] mask, int[][] labels, int[] records) {}

    public Batch batch(int[] indices, int padId) {
        int B = indices.length;
        int T = 1;
        for (int i : indices) {
            T = Math.max(T, ids[i].length);
        }
        int[] flat = new int[B * T];
        int[] mask = new int[B * T];
        java.util.Arrays.fill(flat, padId);
        for (int b = 0; b < B; b++) {
            int[] x = ids[indices[b]];
            System.arraycopy(x, 0, flat, b * T, x.length);
            java.util.Arrays.fill(mask, b * T, b * T + x.length, 1);
        }
        int[][] l = new int[labels.length][B];
        for (int t = 0; t < labels.length; t++) {
            for (int b = 0; b < B; b++) {
                l[t][b] = labels[t][indices[b]];
            }
        }
        return new Batch(B, T, flat, mask, l, indices.clone());
    }
}
