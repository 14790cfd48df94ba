package io.supportlm.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.kernels.AdamW;
import io.supportlm.kernels.CrossEntropy;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.Parameter;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertWeights;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultiTaskClassifierTest {
    static final BertConfig TINY = new BertConfig(50, 16, 2, 4, 24, 16, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);
    static final int B = 4, T = 5;
    static final int[] IDS = {3, 7, 11, 2, 0, 9, 4, 4, 0, 0, 12, 13, 14, 15, 16, 1, 2, 0, 0, 0};
    static final int[] MASK = {1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};

    static MultiTaskClassifier classifier(long seed, Pooling.Mode pooling) {
        return classifier(seed, pooling, 0f);
    }

    /** Two tasks; the first is trained with label smoothing {@code smoothing}. */
    static MultiTaskClassifier classifier(long seed, Pooling.Mode pooling, float smoothing) {
        BertEncoder bert = new BertEncoder(TINY, BertWeights.load(
                io.supportlm.model.bert.BertInit.random(TINY, seed), TINY));
        List<ClassificationTask> tasks = List.of(
                new ClassificationTask("queue", List.of("billing", "tech", "account"), 1f, null, smoothing),
                new ClassificationTask("urgent", List.of("no", "yes"), 0.5f, new float[] {1f, 3f}));
        return new MultiTaskClassifier(bert, pooling, 0.1f, tasks, new Random(seed));
    }

    @Test
    void gradientsOfHeadsAndAdaptersMatchFiniteDifferences() {
        assertGradientsMatchFiniteDifferences(IDS, MASK, B, new int[][] {{0, 2, CrossEntropy.IGNORE_INDEX, 1}, {1, 0, 1, CrossEntropy.IGNORE_INDEX}}, 0f);
    }

    @Test
    void rDropGradientsMatchFiniteDifferences() {
        // the batch twice over: rows b and b + 4 are the same text under different dropout masks;
        // the second task has no label at all, so only the divergence reaches its head
        int[] ids = new int[2 * IDS.length];
        int[] mask = new int[2 * MASK.length];
        for (int c = 0; c < 2; c++) {
            System.arraycopy(IDS, 0, ids, c * IDS.length, IDS.length);
            System.arraycopy(MASK, 0, mask, c * MASK.length, MASK.length);
        }
        int I = CrossEntropy.IGNORE_INDEX;
        int[][] labels = {{0, 2, I, 1, 0, 2, I, 1}, {I, I, I, I, I, I, I, I}};
        assertGradientsMatchFiniteDifferences(ids, mask, 2 * B, labels, 1.5f);
    }

    private static void assertGradientsMatchFiniteDifferences(int[] ids, int[] mask, int rows, int[][] labels, float rDrop) {
        MultiTaskClassifier clf = classifier(1, Pooling.Mode.MEAN, 0.1f);
        LoraAdapter lora = LoraAdapter.attach(clf.backbone(), new LoraConfig(2, 4f, 0.2f, List.of("query", "value"), false, false), 5);
        // Give B non-zero values so that gradients flow into A as well.
        Random rng = new Random(3);
        for (Parameter p : lora.parameters()) {
            for (int i = 0; i < p.values().length; i++) {
                p.values()[i] = (rng.nextFloat() * 2 - 1) * 0.5f;
            }
        }
        MultiTaskClassifier.Workspace ws = clf.allocate(rows, T);
        lora.schedule().train(11, 2);
        clf.forward(ws, ids, mask, rows, T, true, 11, 2);
        clf.loss(ws, labels, rDrop);
        clf.backward(ws, 1f, true, 11, 2);

        java.util.function.DoubleSupplier loss = () -> {
            clf.forward(ws, ids, mask, rows, T, true, 11, 2);
            return clf.loss(ws, labels, rDrop);
        };
        List<Parameter> params = new ArrayList<>(clf.headParameters());
        params.addAll(lora.parameters());
        Random pick = new Random(7);
        for (Parameter p : params) {
            for (int s = 0; s < 3; s++) {
                int i = pick.nextInt(p.values().length);
                float saved = p.values()[i];
                double h = 1e-2;
                p.values()[i] = (float) (saved + h);
                double plus = loss.getAsDouble();
                p.values()[i] = (float) (saved - h);
                double minus = loss.getAsDouble();
                p.values()[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                assertTrue(Math.abs(numeric - p.grads()[i]) <= 1e-3 + 3e-2 * Math.abs(numeric),
                        p.name() + "[" + i + "]: analytic " + p.grads()[i] + ", numeric " + numeric);
            }
        }
    }

    @Test
    void loraTrainingLearnsALabelThatDependsOnTheTokensAndLeavesTheBaseUnchanged() {
        MultiTaskClassifier clf = classifier(2, Pooling.Mode.CLS);
        float[] baseQuery = ((io.supportlm.model.FrozenLinear) clf.backbone().linearLayers()
                .get("encoder.layer.0.attention.self.query")).weight().toFloatArray();
        LoraAdapter lora = LoraAdapter.attach(clf.backbone(), new LoraConfig(4, 8f, 0f, List.of("query", "value"), false, false), 5);
        // queue = whether token 12 appears anywhere (the [CLS] position must look at the others);
        // urgent is left unlabelled everywhere: its head must receive no gradient.
        int[] ids = {1, 5, 12, 6, 1, 5, 6, 7, 1, 12, 8, 9, 1, 8, 9, 5};
        int[] mask = new int[16];
        java.util.Arrays.fill(mask, 1);
        int[][] labels = {{1, 0, 1, 0}, {-100, -100, -100, -100}};
        List<Parameter> params = new ArrayList<>(lora.parameters());
        params.addAll(clf.headParameters());
        float[][] m = new float[params.size()][];
        float[][] v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).values().length];
            v[i] = new float[params.get(i).values().length];
        }
        MultiTaskClassifier.Workspace ws = clf.allocate(4, 4);
        float first = 0, last = 0;
        for (int step = 1; step <= 60; step++) {
            params.forEach(Parameter::zeroGrad);
            lora.schedule().train(3, step);
            clf.forward(ws, ids, mask, 4, 4, true, 3, step);
            float loss = clf.loss(ws, labels);
            clf.backward(ws, 1f, true, 3, step);
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                AdamW.update(p.values(), 0, m[i], 0, v[i], 0, p.grads(), 0, p.values().length, 1e-2, step, AdamW.Config.DEFAULTS);
            }
            if (step == 1) {
                first = loss;
            }
            last = loss;
        }
        assertTrue(last < 0.2 * first, "loss fell from " + first + " to " + last);
        float[] urgentBias = clf.heads().get(1).bias();
        assertTrue(urgentBias[0] == 0f && urgentBias[1] == 0f, "an unlabelled task's head receives no gradient");
        io.supportlm.peft.LoraLinear query = (io.supportlm.peft.LoraLinear) clf.backbone().linearLayers()
                .get("encoder.layer.0.attention.self.query");
        assertArrayEquals(baseQuery, ((io.supportlm.model.FrozenLinear) query.base()).weight().toFloatArray());
    }

    @Test
    void labelSmoothingStopsTheHeadShortOfCertainty() {
        // Trained to convergence, the gold class's probability tends to 1 without smoothing and to
        // 1 − ε + ε/V with it (0.8667 for ε = 0.2 and three labels): the smoothed target's optimum.
        for (float smoothing : new float[] {0f, 0.2f}) {
            MultiTaskClassifier clf = classifier(4, Pooling.Mode.CLS, smoothing);
            int[][] labels = {{0, 1, 2, 0}, {-100, -100, -100, -100}};
            List<Parameter> params = clf.headParameters();
            float[][] m = new float[params.size()][];
            float[][] v = new float[params.size()][];
            for (int i = 0; i < params.size(); i++) {
                m[i] = new float[params.get(i).values().length];
                v[i] = new float[params.get(i).values().length];
            }
            MultiTaskClassifier.Workspace ws = clf.allocate(B, T);
            for (int step = 1; step <= 1500; step++) {
                params.forEach(Parameter::zeroGrad);
                clf.forward(ws, IDS, MASK, B, T, false, 5, step);
                clf.loss(ws, labels);
                clf.backward(ws, 1f, false, 5, step);
                for (int i = 0; i < params.size(); i++) {
                    Parameter p = params.get(i);
                    AdamW.update(p.values(), 0, m[i], 0, v[i], 0, p.grads(), 0, p.values().length, 5e-2, step,
                            AdamW.Config.DEFAULTS);
                }
            }
            clf.forward(ws, IDS, MASK, B, T, false, 5, 0);
            for (int b = 0; b < B; b++) {
                float gold = clf.probabilities(ws, 0, b)[labels[0][b]];
                if (smoothing == 0f) {
                    assertTrue(gold > 0.98f, "row " + b + " without smoothing: p(gold) = " + gold);
                } else {
                    assertTrue(Math.abs(gold - (1 - smoothing + smoothing / 3)) < 0.02f, "row " + b + " with ε = 0.2: p(gold) = " + gold);
                }
            }
        }
    }
}
