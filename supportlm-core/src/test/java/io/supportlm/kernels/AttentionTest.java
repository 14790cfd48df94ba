package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static io.supportlm.kernels.GradCheck.toDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionTest {

    /** Sizes of one case. */
    record Dims(int B, int T, int NH, int KVH, int HS) {
        int qSize() {
            return B * T * NH * HS;
        }

        int kvSize() {
            return B * T * KVH * HS;
        }
    }

    /**
     * Attention written out plainly in double, masks spelled as the definitions say: key j is
     * visible to query i when causal ⇒ j ≤ i, window W ⇒ i − W < j (and j < i + W when not
     * causal), and the key is not padding.
     */
    static double[] reference(double[] q, double[] k, double[] v, int[] mask, Attention.Options opt, Dims d) {
        return reference(q, k, v, mask, null, opt, d);
    }

    /** With packed rows: key j is visible to query i only when both carry the same segment id. */
    static double[] reference(double[] q, double[] k, double[] v, int[] mask, int[] segments, Attention.Options opt, Dims d) {
        double[] out = new double[d.qSize()];
        int group = d.NH() / d.KVH();
        for (int b = 0; b < d.B(); b++) {
            for (int h = 0; h < d.NH(); h++) {
                int kvh = h / group;
                for (int i = 0; i < d.T(); i++) {
                    double[] s = new double[d.T()];
                    boolean[] visible = new boolean[d.T()];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < d.T(); j++) {
                        boolean vis = (!opt.causal() || j <= i)
                                && (opt.slidingWindow() == 0 || (i - opt.slidingWindow() < j
                                        && (opt.causal() || j < i + opt.slidingWindow())))
                                && (mask == null || mask[b * d.T() + j] == 1)
                                && (segments == null || segments[b * d.T() + j] == segments[b * d.T() + i]);
                        visible[j] = vis;
                        if (!vis) {
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < d.HS(); c++) {
                            dot += q[((b * d.T() + i) * d.NH() + h) * d.HS() + c] * k[((b * d.T() + j) * d.KVH() + kvh) * d.HS() + c];
                        }
                        double raw = dot * opt.scale();
                        s[j] = opt.softcap() > 0 ? opt.softcap() * Math.tanh(raw / opt.softcap()) : raw;
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < d.T(); j++) {
                        s[j] = visible[j] ? Math.exp(s[j] - max) : 0;
                        sum += s[j];
                    }
                    for (int j = 0; j < d.T(); j++) {
                        if (!visible[j]) {
                            continue;
                        }
                        for (int c = 0; c < d.HS(); c++) {
                            out[((b * d.T() + i) * d.NH() + h) * d.HS() + c] += s[j] / sum * v[((b * d.T() + j) * d.KVH() + kvh) * d.HS() + c];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Forward against the reference, then backward (vector and scalar) against finite differences. */
    private static void checkCase(String name, Dims d, Attention.Options opt, int[] mask, long seed) {
        Random rng = new Random(seed);
        float[] q = randomFloats(rng, d.qSize(), 1.5f);
        float[] k = randomFloats(rng, d.kvSize(), 1.5f);
        float[] v = randomFloats(rng, d.kvSize(), 1f);
        float[] g = randomFloats(rng, d.qSize(), 1f);
        float[] out = new float[d.qSize()];
        float[] lse = new float[d.B() * d.NH() * d.T()];
        Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
        double[] qd = toDouble(q);
        double[] kd = toDouble(k);
        double[] vd = toDouble(v);
        assertClose(name + " forward", out, reference(qd, kd, vd, mask, opt, d), 1e-4, 1e-5);

        for (boolean scalar : new boolean[] {false, true}) {
            float[] dq = new float[d.qSize()];
            float[] dk = new float[d.kvSize()];
            float[] dv = new float[d.kvSize()];
            if (scalar) {
                Attention.backwardScalar(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            } else {
                Attention.backward(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            }
            String tag = name + (scalar ? " (scalar)" : "");
            GradCheck.assertGradient(tag + " dq", dq, qd, x -> GradCheck.dot(reference(x, kd, vd, mask, opt, d), g));
            GradCheck.assertGradient(tag + " dk", dk, kd, x -> GradCheck.dot(reference(qd, x, vd, mask, opt, d), g));
            GradCheck.assertGradient(tag + " dv", dv, vd, x -> GradCheck.dot(reference(qd, kd, x, mask, opt, d), g));
        }
    }

    /** Forward and backward (vector and scalar) of packed rows against the reference and finite differences. */
    private static void checkSegmentCase(String name, Dims d, Attention.Options opt, int[] mask, int[] seg, long seed) {
        Random rng = new Random(seed);
        float[] q = randomFloats(rng, d.qSize(), 1.5f);
        float[] k = randomFloats(rng, d.kvSize(), 1.5f);
        float[] v = randomFloats(rng, d.kvSize(), 1f);
        float[] g = randomFloats(rng, d.qSize(), 1f);
        double[] qd = toDouble(q), kd = toDouble(k), vd = toDouble(v);
        for (boolean scalar : new boolean[] {false, true}) {
            String tag = name + (scalar ? " (scalar)" : "");
            float[] out = new float[d.qSize()];
            float[] lse = new float[d.B() * d.NH() * d.T()];
            float[] dq = new float[d.qSize()], dk = new float[d.kvSize()], dv = new float[d.kvSize()];
            if (scalar) {
                Attention.forwardScalar(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, seg, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                Attention.backwardScalar(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, seg, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            } else {
                Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, seg, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                Attention.backward(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, seg, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            }
            assertClose(tag + " forward", out, reference(qd, kd, vd, mask, seg, opt, d), 1e-4, 1e-5);
            GradCheck.assertGradient(tag + " dq", dq, qd, x -> GradCheck.dot(reference(x, kd, vd, mask, seg, opt, d), g));
            GradCheck.assertGradient(tag + " dk", dk, kd, x -> GradCheck.dot(reference(qd, x, vd, mask, seg, opt, d), g));
            GradCheck.assertGradient(tag + " dv", dv, vd, x -> GradCheck.dot(reference(qd, kd, x, mask, seg, opt, d), g));
        }
    }

    @Test
    void packedSegmentsAttendOnlyWithinTheirExampleForwardAndBackward() {
        // row 0: examples of 3, 2 and 2 tokens; row 1: one example of 5 and right padding (its own segment)
        int[] seg = {0, 0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 0, 9, 9};
        int[] mask = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
        checkSegmentCase("packed causal GQA", new Dims(2, 7, 4, 2, 5), Attention.Options.causal(5), mask, seg, 11);
        checkSegmentCase("packed sliding window", new Dims(2, 7, 2, 1, 4), Attention.Options.causal(4).withSlidingWindow(2),
                null, seg, 12);
        checkSegmentCase("packed bidirectional", new Dims(2, 7, 2, 2, 4), Attention.Options.bidirectional(4), null, seg, 13);
    }

    @Test
    void onePackedExampleEqualsTheSameExampleAlone() {
        Dims packed = new Dims(1, 6, 2, 1, 4);
        Dims alone = new Dims(1, 4, 2, 1, 4);
        Random rng = new Random(5);
        float[] q = randomFloats(rng, packed.qSize(), 1f), k = randomFloats(rng, packed.kvSize(), 1f), v = randomFloats(rng, packed.kvSize(), 1f);
        int[] seg = {0, 0, 1, 1, 1, 1};
        float[] out = new float[packed.qSize()], lse = new float[12];
        Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, seg, 0, Attention.Options.causal(4), 1, 6, 2, 1, 4);
        float[] outAlone = new float[alone.qSize()], lseAlone = new float[8];
        Attention.forward(outAlone, 0, lseAlone, 0, q, 2 * 2 * 4, k, 2 * 4, v, 2 * 4, null, 0, Attention.Options.causal(4), 1, 4, 2, 1, 4);
        assertClose("second example", Arrays.copyOfRange(out, 2 * 2 * 4, out.length), outAlone, 1e-6, 1e-7);
    }

    @Test
    void causalBackwardMatchesFiniteDifferences() {
        checkCase("causal", new Dims(2, 5, 2, 2, 5), Attention.Options.causal(5), null, 1);
    }

    @Test
    void bidirectionalBackwardMatchesFiniteDifferences() {
        checkCase("bidirectional", new Dims(2, 4, 2, 2, 12), Attention.Options.bidirectional(12), null, 2);
    }

    @Test
    void groupedQueryBackwardMatchesFiniteDifferences() {
        checkCase("GQA 4/2", new Dims(2, 5, 4, 2, 5), Attention.Options.causal(5), null, 3);
        checkCase("GQA 4/1", new Dims(1, 6, 4, 1, 12), Attention.Options.causal(12), null, 4);
    }

    @Test
    void paddingMaskBackwardMatchesFiniteDifferences() {
        // batch row 0 left-padded by 2 (its first two query rows see no key at all), row 1 right-padded by 1
        int[] mask = {0, 0, 1, 1, 1, 1, 1, 1, 1, 0};
        checkCase("padding causal", new Dims(2, 5, 4, 2, 5), Attention.Options.causal(5), mask, 5);
        checkCase("padding bidirectional", new Dims(2, 5, 2, 1, 12), Attention.Options.bidirectional(12), mask, 6);
    }

    @Test
    void slidingWindowBackwardMatchesFiniteDifferences() {
        checkCase("window causal", new Dims(2, 7, 2, 1, 5), Attention.Options.causal(5).withSlidingWindow(3), null, 7);
        checkCase("window bidirectional", new Dims(1, 7, 2, 2, 5), Attention.Options.bidirectional(5).withSlidingWindow(2), null, 8);
    }

    @Test
    void softcapBackwardMatchesFiniteDifferences() {
        // Gemma-like: scale from query_pre_attn_scalar, cap small enough that tanh bends the scores
        Attention.Options opt = Attention.Options.causal(12).withScale((float) Math.pow(8, -0.5)).withSoftcap(1.0f);
        checkCase("softcap", new Dims(2, 5, 4, 2, 12), opt, new int[] {1, 1, 1, 1, 1, 0, 1, 1, 1, 1}, 9);
    }

    @Test
    void singleTokenBackwardMatchesFiniteDifferences() {
        checkCase("T=1 causal", new Dims(3, 1, 4, 2, 5), Attention.Options.causal(5), null, 10);
        checkCase("T=1 bidirectional", new Dims(1, 1, 2, 1, 12), Attention.Options.bidirectional(12), null, 11);
    }

    @Test
    void vectorMatchesScalarOnLongerSequences() {
        // T = 70 crosses the 4-vector score blocks, single blocks and masked tails for 8 or 16 lanes
        Attention.Options[] options = {
                Attention.Options.causal(64), Attention.Options.bidirectional(12).withSoftcap(2f),
                Attention.Options.causal(64).withSlidingWindow(20)};
        Dims[] dims = {new Dims(2, 70, 4, 2, 64), new Dims(1, 70, 3, 1, 12), new Dims(1, 70, 2, 2, 64)};
        Random rng = new Random(12);
        for (int c = 0; c < options.length; c++) {
            Dims d = dims[c];
            Attention.Options opt = options[c];
            int[] mask = new int[d.B() * d.T()];
            Arrays.fill(mask, 1);
            mask[3] = 0; // one padded key inside the sequence
            float[] q = randomFloats(rng, d.qSize(), 1f);
            float[] k = randomFloats(rng, d.kvSize(), 1f);
            float[] v = randomFloats(rng, d.kvSize(), 1f);
            float[] g = randomFloats(rng, d.qSize(), 1f);
            float[] out = new float[d.qSize()];
            float[] lse = new float[d.B() * d.NH() * d.T()];
            float[] outS = new float[d.qSize()];
            float[] lseS = new float[lse.length];
            Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            Attention.forwardScalar(outS, 0, lseS, 0, q, 0, k, 0, v, 0, mask, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            assertClose("case " + c + " out", out, outS, 1e-4, 1e-5);
            assertClose("case " + c + " lse", lse, lseS, 1e-5, 1e-5);
            assertClose("case " + c + " out vs double", out,
                    reference(toDouble(q), toDouble(k), toDouble(v), mask, opt, d), 1e-4, 1e-5);
            float[][] vec = {new float[d.qSize()], new float[d.kvSize()], new float[d.kvSize()]};
            float[][] sca = {new float[d.qSize()], new float[d.kvSize()], new float[d.kvSize()]};
            Attention.backward(vec[0], 0, vec[1], 0, vec[2], 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt,
                    d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            Attention.backwardScalar(sca[0], 0, sca[1], 0, sca[2], 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt,
                    d.B(), d.T(), d.NH(), d.KVH(), d.HS());
            assertClose("case " + c + " dq", vec[0], sca[0], 1e-3, 1e-5);
            assertClose("case " + c + " dk", vec[1], sca[1], 1e-3, 1e-5);
            assertClose("case " + c + " dv", vec[2], sca[2], 1e-3, 1e-5);
        }
    }

    @Test
    void fullyMaskedRowsGiveZerosNotNaN() {
        Dims d = new Dims(2, 4, 2, 1, 5);
        int[] mask = {1, 1, 0, 1, 0, 0, 0, 0}; // batch row 1 is all padding
        Random rng = new Random(13);
        float[] q = randomFloats(rng, d.qSize(), 1f);
        float[] k = randomFloats(rng, d.kvSize(), 1f);
        float[] v = randomFloats(rng, d.kvSize(), 1f);
        for (Attention.Options opt : new Attention.Options[] {Attention.Options.causal(5), Attention.Options.bidirectional(5)}) {
            for (boolean scalar : new boolean[] {false, true}) {
                float[] out = new float[d.qSize()];
                Arrays.fill(out, Float.NaN); // stale contents must be overwritten
                float[] lse = new float[d.B() * d.NH() * d.T()];
                if (scalar) {
                    Attention.forwardScalar(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                } else {
                    Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                }
                for (int i = d.qSize() / 2; i < d.qSize(); i++) {
                    assertEquals(0f, out[i], "batch 1 output element " + i);
                }
                for (float x : out) {
                    assertTrue(Float.isFinite(x), "no NaN or infinity in the output");
                }
                float[] dq = new float[d.qSize()];
                float[] dk = new float[d.kvSize()];
                float[] dv = new float[d.kvSize()];
                float[] g = randomFloats(rng, d.qSize(), 1f);
                Attention.backward(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, mask, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                for (int i = d.kvSize() / 2; i < d.kvSize(); i++) {
                    assertEquals(0f, dk[i], "padding keys get no gradient");
                    assertEquals(0f, dv[i], "padding values get no gradient");
                }
                for (float x : dq) {
                    assertTrue(Float.isFinite(x), "no NaN in dq");
                }
            }
        }
    }

    @Test
    void cachedDecodingTokenByTokenEqualsFullCausalForward() {
        int T = 9;
        int NH = 4;
        int KVH = 2;
        int HS = 12;
        int maxT = 16;
        Random rng = new Random(14);
        float[] q = randomFloats(rng, T * NH * HS, 1.5f);
        float[] k = randomFloats(rng, T * KVH * HS, 1.5f);
        float[] v = randomFloats(rng, T * KVH * HS, 1f);
        Attention.Options[] options = {
                Attention.Options.causal(HS), Attention.Options.causal(HS).withSlidingWindow(4).withSoftcap(1.5f)};
        for (Attention.Options opt : options) {
            float[] full = new float[T * NH * HS];
            Attention.forward(full, 0, new float[NH * T], 0, q, 0, k, 0, v, 0, null, 0, opt, 1, T, NH, KVH, HS);
            for (boolean vector : new boolean[] {true, false}) {
                float[] kCache = new float[KVH * maxT * HS];
                float[] vCache = new float[KVH * maxT * HS];
                // prefill the first 4 tokens at once, then decode one at a time
                int prefill = 4;
                Attention.writeCache(kCache, 0, k, 0, 0, prefill, maxT, KVH, HS);
                Attention.writeCache(vCache, 0, v, 0, 0, prefill, maxT, KVH, HS);
                float[] step = new float[prefill * NH * HS];
                Attention.forwardCached(step, 0, q, 0, kCache, 0, vCache, 0, null, 0, opt, 0, prefill, maxT, NH, KVH, HS);
                assertClose("prefill " + opt, step, Arrays.copyOf(full, prefill * NH * HS), 1e-5, 1e-6);
                for (int t = prefill; t < T; t++) {
                    int row = NH * HS;
                    Attention.writeCache(kCache, 0, k, t * KVH * HS, t, 1, maxT, KVH, HS);
                    Attention.writeCache(vCache, 0, v, t * KVH * HS, t, 1, maxT, KVH, HS);
                    float[] one = new float[row];
                    if (vector) {
                        Attention.forwardCached(one, 0, q, t * row, kCache, 0, vCache, 0, null, 0, opt, t, 1, maxT, NH, KVH, HS);
                    } else {
                        Attention.forwardCachedScalar(one, 0, q, t * row, kCache, 0, vCache, 0, null, 0, opt, t, 1, maxT, NH, KVH, HS);
                    }
                    assertClose("token " + t + " " + opt + (vector ? "" : " (scalar)"), one,
                            Arrays.copyOfRange(full, t * row, (t + 1) * row), 1e-5, 1e-6);
                }
            }
        }
    }

    @Test
    void backwardAccumulatesIntoGradients() {
        Dims d = new Dims(1, 3, 2, 1, 5);
        Random rng = new Random(15);
        float[] q = randomFloats(rng, d.qSize(), 1f);
        float[] k = randomFloats(rng, d.kvSize(), 1f);
        float[] v = randomFloats(rng, d.kvSize(), 1f);
        float[] g = randomFloats(rng, d.qSize(), 1f);
        Attention.Options opt = Attention.Options.causal(5);
        float[] out = new float[d.qSize()];
        float[] lse = new float[d.NH() * d.T()];
        Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, opt, 1, 3, 2, 1, 5);
        float[][] once = {new float[d.qSize()], new float[d.kvSize()], new float[d.kvSize()]};
        float[][] twice = {new float[d.qSize()], new float[d.kvSize()], new float[d.kvSize()]};
        Attention.backward(once[0], 0, once[1], 0, once[2], 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, opt, 1, 3, 2, 1, 5);
        for (int rep = 0; rep < 2; rep++) {
            Attention.backward(twice[0], 0, twice[1], 0, twice[2], 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, opt, 1, 3, 2, 1, 5);
        }
        for (int a = 0; a < 3; a++) {
            float[] doubled = once[a].clone();
            for (int i = 0; i < doubled.length; i++) {
                doubled[i] *= 2;
            }
            assertClose("gradient " + a + " accumulates", twice[a], doubled, 1e-6, 1e-7);
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        Dims d = new Dims(3, 20, 4, 2, 12);
        Random rng = new Random(16);
        float[] q = randomFloats(rng, d.qSize(), 1f);
        float[] k = randomFloats(rng, d.kvSize(), 1f);
        float[] v = randomFloats(rng, d.kvSize(), 1f);
        float[] g = randomFloats(rng, d.qSize(), 1f);
        Attention.Options opt = Attention.Options.causal(12);
        int saved = io.supportlm.tensor.Parallel.threads();
        float[][][] results = new float[2][][];
        try {
            int[] counts = {1, 3};
            for (int c = 0; c < 2; c++) {
                io.supportlm.tensor.Parallel.setThreads(counts[c]);
                float[] out = new float[d.qSize()];
                float[] lse = new float[d.B() * d.NH() * d.T()];
                float[] dq = new float[d.qSize()];
                float[] dk = new float[d.kvSize()];
                float[] dv = new float[d.kvSize()];
                Attention.forward(out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, opt, d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                Attention.backward(dq, 0, dk, 0, dv, 0, g, 0, out, 0, lse, 0, q, 0, k, 0, v, 0, null, 0, opt,
                        d.B(), d.T(), d.NH(), d.KVH(), d.HS());
                results[c] = new float[][] {out, dq, dk, dv};
            }
        } finally {
            io.supportlm.tensor.Parallel.setThreads(saved);
        }
        for (int a = 0; a < 4; a++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(results[0][a], results[1][a], "buffer " + a + " bit-identical");
        }
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        float[] buf = new float[1000];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(
                buf, 0, buf, 0, buf, 0, buf, 0, buf, 0, null, 0, Attention.Options.causal(4), 1, 4, 3, 2, 4));
        assertTrue(e.getMessage().contains("multiple"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(
                new float[10], 0, buf, 0, buf, 0, buf, 0, buf, 0, null, 0, Attention.Options.causal(4), 1, 4, 2, 2, 4));
        assertTrue(e.getMessage().contains("out"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Attention.forward(
                buf, 0, buf, 0, buf, 0, buf, 0, buf, 0, new int[3], 0, Attention.Options.causal(4), 1, 4, 2, 2, 4));
        assertThrows(IllegalArgumentException.class, () -> new Attention.Options(true, -1, 0f, 1f));
        assertThrows(IllegalArgumentException.class, () -> new Attention.Options(true, 0, Float.NaN, 1f));
        assertThrows(IllegalArgumentException.class, () -> new Attention.Options(true, 0, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> Attention.forwardCached(
                buf, 0, buf, 0, buf, 0, buf, 0, null, 0, Attention.Options.causal(4), 10, 1, 10, 1, 1, 4));
    }
}
