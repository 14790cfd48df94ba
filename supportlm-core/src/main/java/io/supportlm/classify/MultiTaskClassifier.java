package io.supportlm.classify;

import io.supportlm.kernels.CrossEntropy;
import io.supportlm.kernels.Dropout;
import io.supportlm.kernels.Linear;
import io.supportlm.kernels.Pooling;
import io.supportlm.kernels.SymmetricKl;
import io.supportlm.model.Backbone;
import io.supportlm.model.Parameter;
import io.supportlm.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Classification heads on a pooled hidden state, one per task, trained together: the loss is
 * {@code Σ_t w_t · CE_t}, each cross-entropy a mean over the rows that have a label for that task
 * (rows without one use the ignore index). The pooled vector goes through dropout, then each
 * head's linear layer, as in transformers' {@code *ForSequenceClassification}.
 */
public final class MultiTaskClassifier {
    /** One task's head: logits = dropout(pooled) · Wᵀ + b. */
    public static final class Head {
        final ClassificationTask task;
        final float[] weight; // (K, C)
        final float[] bias; // (K)
        final float[] dWeight;
        final float[] dBias;

        Head(ClassificationTask task, float[] weight, float[] bias) {
            this.task = task;
            this.weight = weight;
            this.bias = bias;
            this.dWeight = new float[weight.length];
            this.dBias = new float[bias.length];
        }

        public ClassificationTask task() {
            return task;
        }

        public float[] weight() {
            return weight;
        }

        public float[] bias() {
            return bias;
        }
    }

    /** Buffers for one batch shape. */
    public static final class Workspace {
        final Backbone.Workspace backbone;
        final int maxB, maxT;
        int B, T;
        int[] mask;
        float[] hidden; // (B, T, C) owned by the backbone
        final float[] pooled; // (B, C)
        final float[] dropped; // (B, C)
        final float[] dDropped, dPooled; // (B, C)
        final float[] dHidden; // (B, T, C)
        final float[][] logits, lse, losses; // per task: (B, K), (B), (B)
        final float[] divergences; // (B / 2): R-Drop's per-pair divergences of one task
        final float[][] dLogits; // per task (B, K)
        int[][] labels;
        float rDrop; // the R-Drop weight of the last loss; 0 for none

        Workspace(Backbone.Workspace backbone, List<Head> heads, int C, int maxB, int maxT) {
            this.backbone = backbone;
            this.maxB = maxB;
            this.maxT = maxT;
            pooled = new float[maxB * C];
            dropped = new float[maxB * C];
            dDropped = new float[maxB * C];
            dPooled = new float[maxB * C];
            dHidden = new float[maxB * maxT * C];
            logits = new float[heads.size()][];
            dLogits = new float[heads.size()][];
            lse = new float[heads.size()][maxB];
            divergences = new float[maxB / 2];
            losses = new float[heads.size()][maxB];
            for (int h = 0; h < heads.size(); h++) {
                logits[h] = new float[maxB * heads.get(h).task.numLabels()];
                dLogits[h] = new float[maxB * heads.get(h).task.numLabels()];
            }
        }

        /** Logits of task {@code t} from the last forward: (B, K) row-major. */
        public float[] logits(int t) {
            return logits[t];
        }

        public int batch() {
            return B;
        }
    }

    private final Backbone backbone;
    private final Pooling.Mode pooling;
    private final float dropout;
    private final List<Head> heads;

    /** New heads, initialized as transformers does: weights N(0, 0.02²), biases zero. */
    public MultiTaskClassifier(Backbone backbone, Pooling.Mode pooling, float dropout, List<ClassificationTask> tasks, Random rng) {
        this(backbone, pooling, dropout, freshHeads(tasks, backbone.hiddenSize(), rng));
    }

    public MultiTaskClassifier(Backbone backbone, Pooling.Mode pooling, float dropout, List<Head> heads) {
        if (heads.isEmpty()) {
            throw new IllegalArgumentException("a classifier needs at least one task");
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("classifier dropout must be in [0, 1), got " + dropout);
        }
        this.backbone = backbone;
        this.pooling = pooling;
        this.dropout = dropout;
        this.heads = List.copyOf(heads);
    }

    private static List<Head> freshHeads(List<ClassificationTask> tasks, int C, Random rng) {
        List<Head> out = new ArrayList<>();
        for (ClassificationTask t : tasks) {
            float[] w = new float[t.numLabels() * C];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (rng.nextGaussian() * 0.02);
            }
            out.add(new Head(t, w, new float[t.numLabels()]));
        }
        return out;
    }

    /** A head with given weights (loaded from an adapter file). */
    public static Head head(ClassificationTask task, float[] weight, float[] bias, int hidden) {
        if (weight.length != task.numLabels() * hidden || bias.length != task.numLabels()) {
            throw new IllegalArgumentException("head '" + task.name() + "' must be [" + task.numLabels() + ", " + hidden
                    + "] with " + task.numLabels() + " biases");
        }
        return new Head(task, weight, bias);
    }

    public Backbone backbone() {
        return backbone;
    }

    public Pooling.Mode pooling() {
        return pooling;
    }

    public float dropout() {
        return dropout;
    }

    public List<Head> heads() {
        return heads;
    }

    public List<ClassificationTask> tasks() {
        return heads.stream().map(Head::task).toList();
    }

    /** The heads' trainable tensors, named as transformers would ({@code classifier.<task>.weight}). */
    public List<Parameter> headParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Head h : heads) {
            out.add(new Parameter("classifier." + h.task.name() + ".weight", h.weight, h.dWeight));
            out.add(new Parameter("classifier." + h.task.name() + ".bias", h.bias, h.dBias));
        }
        return out;
    }

    public Workspace allocate(int maxB, int maxT) {
        return new Workspace(backbone.allocate(maxB, maxT), heads, backbone.hiddenSize(), maxB, maxT);
    }

    /** Runs the backbone, pools, and computes every head's logits. */
    public void forward(Workspace ws, int[] ids, int[] mask, int B, int T, boolean training, long seed, long step) {
        if (B > ws.maxB || T > ws.maxT) {
            throw new IllegalArgumentException("batch " + B + "×" + T + " exceeds the allocated " + ws.maxB + "×" + ws.maxT);
        }
        int C = backbone.hiddenSize();
        ws.B = B;
        ws.T = T;
        ws.mask = mask;
        ws.hidden = backbone.forward(ws.backbone, ids, mask, B, T, training, seed, step);
        Pooling.forward(ws.pooled, ws.hidden, mask, pooling, B, T, C);
        Dropout.forward(ws.dropped, 0, ws.pooled, 0, B * C, training ? dropout : 0f, Dropout.seed(seed, step, 900_000));
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            int K = head.task.numLabels();
            Linear.forward(ws.logits[h], 0, ws.dropped, 0, Tensor.wrap(head.weight, K, C), head.bias, B, C, K);
        }
    }

    /**
     * The summed loss for labels {@code labels[task][row]} (label index, or
     * {@link CrossEntropy#IGNORE_INDEX} where the row has none). A task with no labelled row in the
     * batch contributes nothing.
     */
    public float loss(Workspace ws, int[][] labels) {
        return loss(ws, labels, 0f);
    }

    /**
     * The summed loss with R-Drop (Liang et al., 2021) of weight {@code rDrop} = α: the batch's
     * second half repeats its first (rows b and b + B/2 hold the same text, seen through different
     * dropout masks), and each task adds α/2 times the mean symmetric divergence
     * ½ (KL(p‖q) + KL(q‖p)) between the two halves' predictions to its cross-entropy over all rows.
     * That is the paper's {@code CE₁ + CE₂ + α/2 (KL(p‖q) + KL(q‖p))} halved, so α means what it
     * means there. The divergence needs no labels: it also applies to rows a task leaves unlabelled.
     */
    public float loss(Workspace ws, int[][] labels, float rDrop) {
        if (labels.length != heads.size()) {
            throw new IllegalArgumentException(labels.length + " label arrays for " + heads.size() + " tasks");
        }
        if (!(rDrop >= 0) || (rDrop > 0 && ws.B % 2 != 0)) {
            throw new IllegalArgumentException("R-Drop needs a weight ≥ 0 and a batch of pairs, got " + rDrop + " with " + ws.B + " rows");
        }
        ws.labels = labels;
        ws.rDrop = rDrop;
        double total = 0;
        int half = ws.B / 2;
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            int K = head.task.numLabels();
            if (hasLabel(labels[h], ws.B)) {
                float mean = CrossEntropy.forward(ws.losses[h], 0, ws.lse[h], 0, ws.logits[h], 0, labels[h], 0,
                        head.task.classWeights(), ws.B, K, CrossEntropy.IGNORE_INDEX, head.task.labelSmoothing());
                total += head.task.lossWeight() * mean;
            }
            if (rDrop > 0) {
                float divergence = SymmetricKl.forward(ws.divergences, 0, ws.logits[h], 0, ws.logits[h], half * K, half, K);
                total += head.task.lossWeight() * rDrop / 2 * divergence;
            }
        }
        return (float) total;
    }

    /**
     * Backpropagates {@code lossScale} × the loss of the last {@link #loss} call (scale 1/steps for
     * gradient accumulation): head gradients, then the pooled state, then the backbone's adapters.
     */
    public void backward(Workspace ws, float lossScale, boolean training, long seed, long step) {
        int C = backbone.hiddenSize();
        int B = ws.B;
        Arrays.fill(ws.dDropped, 0, B * C, 0f);
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            int K = head.task.numLabels();
            boolean labelled = hasLabel(ws.labels[h], B);
            if (!labelled && ws.rDrop == 0) {
                continue;
            }
            Arrays.fill(ws.dLogits[h], 0, B * K, 0f);
            if (labelled) {
                CrossEntropy.backward(ws.dLogits[h], 0, lossScale * head.task.lossWeight(), ws.lse[h], 0, ws.logits[h], 0,
                        ws.labels[h], 0, head.task.classWeights(), B, K, CrossEntropy.IGNORE_INDEX, head.task.labelSmoothing());
            }
            if (ws.rDrop > 0) {
                int half = B / 2;
                SymmetricKl.backward(ws.dLogits[h], 0, ws.dLogits[h], half * K, lossScale * head.task.lossWeight() * ws.rDrop / 2,
                        ws.logits[h], 0, ws.logits[h], half * K, half, K);
            }
            Linear.backward(ws.dDropped, 0, head.dWeight, head.dBias, ws.dLogits[h], 0, ws.dropped, 0,
                    Tensor.wrap(head.weight, K, C), B, C, K);
        }
        Arrays.fill(ws.dPooled, 0, B * C, 0f);
        Dropout.backward(ws.dPooled, 0, ws.dDropped, 0, B * C, training ? dropout : 0f, Dropout.seed(seed, step, 900_000));
        Arrays.fill(ws.dHidden, 0, B * ws.T * C, 0f);
        Pooling.backward(ws.dHidden, ws.dPooled, ws.mask, pooling, B, ws.T, C);
        backbone.backward(ws.backbone, ws.dHidden, training, seed, step);
    }

    private static boolean hasLabel(int[] labels, int B) {
        for (int b = 0; b < B; b++) {
            if (labels[b] != CrossEntropy.IGNORE_INDEX) {
                return true;
            }
        }
        return false;
    }

    /** Throws unless every member has the first one's tasks and labels, in order: what averaging their probabilities needs. */
    public static void requireSameTasks(List<MultiTaskClassifier> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("an ensemble needs at least one classifier");
        }
        for (MultiTaskClassifier m : members) {
            if (!ClassificationTask.sameLabels(m.tasks(), members.get(0).tasks())) {
                throw new IllegalArgumentException("ensemble members must share tasks and labels: " + describe(m.tasks()) + " vs "
                        + describe(members.get(0).tasks()));
            }
        }
    }

    static List<String> describe(List<ClassificationTask> tasks) {
        return tasks.stream().map(t -> t.name() + " " + t.labels()).toList();
    }

    /**
     * An ensemble's probabilities for task {@code t}, row {@code b}: the mean of the members'
     * softmax, each member having run its forward on the same batch in its own workspace.
     */
    public static float[] meanProbabilities(List<MultiTaskClassifier> members, Workspace[] workspaces, int t, int b) {
        float[] mean = members.get(0).probabilities(workspaces[0], t, b);
        for (int m = 1; m < members.size(); m++) {
            float[] p = members.get(m).probabilities(workspaces[m], t, b);
            for (int k = 0; k < p.length; k++) {
                mean[k] += p[k];
            }
        }
        for (int k = 0; k < mean.length && members.size() > 1; k++) {
            mean[k] /= members.size();
        }
        return mean;
    }

    /** Softmax probabilities of task {@code t}, row {@code b}, from the last forward. */
    public float[] probabilities(Workspace ws, int t, int b) {
        int K = heads.get(t).task.numLabels();
        float[] p = new float[K];
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            max = Math.max(max, ws.logits[t][b * K + k]);
        }
        double sum = 0;
        for (int k = 0; k < K; k++) {
            p[k] = (float) Math.exp(ws.logits[t][b * K + k] - max);
            sum += p[k];
        }
        for (int k = 0; k < K; k++) {
            p[k] /= (float) sum;
        }
        return p;
    }
}
