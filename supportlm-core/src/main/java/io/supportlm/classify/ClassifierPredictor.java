package io.supportlm.classify;

import io.supportlm.eval.ClassificationMetrics;
import io.supportlm.eval.EvaluationReport;
import io.supportlm.eval.ExampleResult;
import io.supportlm.eval.TaskLabels;
import io.supportlm.eval.TaskPrediction;
import io.supportlm.eval.TopK;
import io.supportlm.kernels.CrossEntropy;
import io.supportlm.model.hf.HfTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Batched inference with a {@link MultiTaskClassifier}, or an ensemble of them (their
 * probabilities averaged): texts in, per-task labels with confidences and top-k out. Texts are
 * grouped by length so batches pad little; each example's latency is its batch's time (every
 * member's forward) divided by the batch size.
 */
public final class ClassifierPredictor {
    private final List<MultiTaskClassifier> members;
    private final List<MultiTaskClassifier.Head> heads; // the first member's: tasks and labels, the same for all
    private final HfTokenizer tokenizer;
    private final int maxLength;
    private final int padId;
    private final int batchSize;
    private final MultiTaskClassifier.Workspace[] ws;

    public ClassifierPredictor(MultiTaskClassifier classifier, HfTokenizer tokenizer, int maxLength, int padId, int batchSize) {
        this(List.of(classifier), tokenizer, maxLength, padId, batchSize);
    }

    /** An ensemble: every member must have the same tasks with the same labels in the same order. */
    public ClassifierPredictor(List<MultiTaskClassifier> members, HfTokenizer tokenizer, int maxLength, int padId, int batchSize) {
        MultiTaskClassifier.requireSameTasks(members);
        this.members = List.copyOf(members);
        this.heads = members.get(0).heads();
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.padId = padId;
        this.batchSize = batchSize;
        this.ws = new MultiTaskClassifier.Workspace[members.size()];
    }

    /** One text's result: per task the ranked labels with probabilities. */
    public record Prediction(Map<String, List<Scored>> byTask, double latencyMs) {}

    public record Scored(String label, double probability) {}

    public List<Prediction> predict(List<String> texts, int topK) {
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            ids[i] = tokenizer.encode(texts.get(i), true, maxLength).ids();
        }
        Prediction[] out = new Prediction[texts.size()];
        run(ids, (index, probs, latency) -> {
            Map<String, List<Scored>> byTask = new LinkedHashMap<>();
            for (int t = 0; t < probs.length; t++) {
                ClassificationTask task = heads.get(t).task();
                List<Scored> ranked = new ArrayList<>();
                for (int k : TopK.rank(probs[t], Math.min(topK, task.numLabels()))) {
                    ranked.add(new Scored(task.labels().get(k), probs[t][k]));
                }
                byTask.put(task.name(), ranked);
            }
            out[index] = new Prediction(byTask, latency);
        });
        return List.of(out);
    }

    /** Scores every record of {@code data} (gold labels from it) into a report; top-k for each k. */
    public EvaluationReport evaluate(LabeledTexts data, String runId, String modelName, int... ks) {
        int maxK = IntStream.of(ks).max().orElse(1);
        ExampleResult[] results = new ExampleResult[data.size()];
        int[][] ids = new int[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            ids[i] = data.tokens(i);
        }
        run(ids, (index, probs, latency) -> {
            Map<String, TaskPrediction> byTask = new LinkedHashMap<>();
            for (int t = 0; t < heads.size(); t++) {
                int gold = data.label(t, index);
                int[] ranked = TopK.rank(probs[t], Math.min(maxK, probs[t].length));
                byTask.put(heads.get(t).task().name(), new TaskPrediction(
                        gold == CrossEntropy.IGNORE_INDEX ? ClassificationMetrics.MISSING_GOLD : gold,
                        ranked[0], probs[t][ranked[0]], ranked));
            }
            results[index] = new ExampleResult(data.record(index).id(), data.record(index).mainText(), latency, byTask);
        });
        List<TaskLabels> tasks = heads.stream().map(h -> new TaskLabels(h.task().name(), h.task().labels())).toList();
        return EvaluationReport.of(runId, modelName, tasks, List.of(results), ks);
    }

    @FunctionalInterface
    interface Sink {
        void accept(int index, float[][] probabilities, double latencyMs);
    }

    private void run(int[][] ids, Sink sink) {
        Integer[] order = IntStream.range(0, ids.length).boxed().toArray(Integer[]::new);
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        int maxT = 1;
        for (int[] x : ids) {
            maxT = Math.max(maxT, x.length);
        }
        for (int m = 0; m < members.size(); m++) {
            if (ws[m] == null || ws[m].maxB < batchSize || ws[m].maxT < maxT) {
                ws[m] = members.get(m).allocate(batchSize, Math.max(maxT, ws[m] == null ? 0 : ws[m].maxT));
            }
        }
        for (int start = 0; start < order.length; start += batchSize) {
            int B = Math.min(batchSize, order.length - start);
            int T = 1;
            for (int b = 0; b < B; b++) {
                T = Math.max(T, ids[order[start + b]].length);
            }
            int[] flat = new int[B * T];
            int[] mask = new int[B * T];
            java.util.Arrays.fill(flat, padId);
            for (int b = 0; b < B; b++) {
                int[] x = ids[order[start + b]];
                System.arraycopy(x, 0, flat, b * T, x.length);
                java.util.Arrays.fill(mask, b * T, b * T + x.length, 1);
            }
            long t0 = System.nanoTime();
            for (int m = 0; m < members.size(); m++) {
                members.get(m).forward(ws[m], flat, mask, B, T, false, 0, 0);
            }
            float[][][] probs = new float[B][heads.size()][];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < heads.size(); t++) {
                    probs[b][t] = MultiTaskClassifier.meanProbabilities(members, ws, t, b);
                }
            }
            double latency = (System.nanoTime() - t0) / 1e6 / B;
            for (int b = 0; b < B; b++) {
                sink.accept(order[start + b], probs[b], latency);
            }
        }
    }
}
