package io.supportlm.kernels;

import static io.supportlm.kernels.GradCheck.assertClose;
import static io.supportlm.kernels.GradCheck.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {

    /**
     * HF's formula literally, in double: q_embed = q·cos + rotate_half(q)·sin with cos, sin of
     * width R (the R/2 frequencies repeated twice) and rotate_half(x) = cat(−x2, x1); the tail
     * past R passes through (GPT-NeoX partial rotary).
     */
    static double[] reference(double[] x, int[] positions, Rope.Config config, int NH) {
        int HS = config.headSize();
        int R = config.rotaryDim();
        double[] inv = Rope.inverseFrequencies(config);
        double a = Rope.attentionScaling(config);
        double[] out = x.clone();
        for (int r = 0; r < positions.length; r++) {
            double[] cos = new double[R];
            double[] sin = new double[R];
            for (int d = 0; d < R; d++) {
                double angle = positions[r] * inv[d % (R / 2)];
                cos[d] = Math.cos(angle) * a;
                sin[d] = Math.sin(angle) * a;
            }
            for (int h = 0; h < NH; h++) {
                int base = (r * NH + h) * HS;
                for (int d = 0; d < R; d++) {
                    double rotated = d < R / 2 ? -x[base + d + R / 2] : x[base + d - R / 2];
                    out[base + d] = x[base + d] * cos[d] + rotated * sin[d];
                }
            }
        }
        return out;
    }

    private static int[] randomPositions(Random rng, int n, int max) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = rng.nextInt(max);
        }
        return p;
    }

    @Test
    void forwardMatchesDoublePrecisionRotateHalf() {
        Random rng = new Random(1);
        for (Rope.Config config : new Rope.Config[] {
                Rope.Config.of(12, 10000), Rope.Config.of(64, 500000), new Rope.Config(10, 6, 10000, new Rope.Scaling.None())}) {
            int BT = 7;
            int NH = 3;
            int HS = config.headSize();
            Rope.Table table = Rope.Table.build(config, 64);
            float[] x = randomFloats(rng, BT * NH * HS, 1f);
            int[] pos = randomPositions(rng, BT, 64);
            float[] out = new float[x.length];
            Rope.forward(out, 0, x, 0, pos, 0, table, BT, NH);
            assertClose("rope HS=" + HS, out, reference(GradCheck.toDouble(x), pos, config, NH), 1e-5, 2e-5);
        }
    }

    @Test
    void partialRotaryLeavesTailDimsUntouched() {
        Random rng = new Random(2);
        // GPT-NeoX / Pythia: rotary_pct 0.25 of a 16-dim head rotates 4 dims
        Rope.Config config = new Rope.Config(16, 4, 10000, new Rope.Scaling.None());
        Rope.Table table = Rope.Table.build(config, 32);
        int BT = 5;
        int NH = 2;
        float[] x = randomFloats(rng, BT * NH * 16, 1f);
        int[] pos = {3, 9, 17, 31, 1};
        float[] out = new float[x.length];
        Rope.forward(out, 0, x, 0, pos, 0, table, BT, NH);
        for (int row = 0; row < BT * NH; row++) {
            for (int d = 4; d < 16; d++) {
                assertEquals(x[row * 16 + d], out[row * 16 + d], "tail dim " + d + " of head row " + row);
            }
        }
        assertClose("rotated dims", out, reference(GradCheck.toDouble(x), pos, config, NH), 1e-5, 2e-5);
        // and the rotated part really changed
        assertTrue(Math.abs(out[16] - x[16]) > 1e-4, "first rotated dim of token 1 should move");
    }

    @Test
    void vectorMatchesScalar() {
        Random rng = new Random(3);
        for (Rope.Config config : new Rope.Config[] {
                Rope.Config.of(64, 10000), Rope.Config.of(12, 10000), new Rope.Config(80, 40, 10000, new Rope.Scaling.None()),
                new Rope.Config(128, 128, 10000, Rope.Scaling.Yarn.of(4, 64))}) {
            int BT = 9;
            int NH = 3;
            int HS = config.headSize();
            Rope.Table table = Rope.Table.build(config, 100);
            float[] x = randomFloats(rng, BT * NH * HS, 1f);
            int[] pos = randomPositions(rng, BT, 100);
            float[] vec = new float[x.length];
            float[] sca = new float[x.length];
            Rope.forward(vec, 0, x, 0, pos, 0, table, BT, NH);
            Rope.forwardScalar(sca, 0, x, 0, pos, 0, table, BT, NH);
            assertClose("forward HS=" + HS, vec, sca, 1e-6, 1e-6);
            float[] g = randomFloats(rng, x.length, 1f);
            float[] dVec = randomFloats(new Random(9), x.length, 1f);
            float[] dSca = dVec.clone();
            Rope.backward(dVec, 0, g, 0, pos, 0, table, BT, NH);
            Rope.backwardScalar(dSca, 0, g, 0, pos, 0, table, BT, NH);
            assertClose("backward HS=" + HS, dVec, dSca, 1e-6, 1e-6);
        }
    }

    @Test
    void inPlaceForwardEqualsOutOfPlace() {
        Random rng = new Random(4);
        Rope.Table table = Rope.Table.build(new Rope.Config(24, 16, 10000, new Rope.Scaling.None()), 40);
        float[] x = randomFloats(rng, 6 * 2 * 24, 1f);
        int[] pos = randomPositions(rng, 6, 40);
        float[] out = new float[x.length];
        Rope.forward(out, 0, x, 0, pos, 0, table, 6, 2);
        Rope.forward(x, 0, x, 0, pos, 0, table, 6, 2);
        assertArrayEquals(out, x);
    }

    @Test
    void llama3InverseFrequenciesMatchTransformersFormula() {
        // head 16 → 8 pairs, theta 1e4: inv_i = 1e4^(−i/8) = 1, 0.316228, 0.1, 0.0316228, ...
        // factor 8, low 1, high 4, original 64: low_freq_wavelen = 64, high_freq_wavelen = 16.
        // wavelen_i = 2π / inv_i = 6.28, 19.87, 62.83, 198.7, ...
        //  i=0: 6.28 < 16 → unchanged, 1
        //  i=1: medium, smooth = (64/19.8692 − 1)/3 = 0.740357 → (1−s)·0.316228/8 + s·0.316228 = 0.2443846
        //  i=2: medium, smooth = (64/62.8319 − 1)/3 = 0.0061972 → (1−s)·0.1/8 + s·0.1 = 0.01304226
        //  i≥3: wavelen > 64 → inv_i / 8
        Rope.Config config = new Rope.Config(16, 16, 10000, new Rope.Scaling.Llama3(8, 1, 4, 64));
        double[] expected = {1.0, 0.2443846, 0.01304226, 0.0316227766 / 8, 0.01 / 8, 0.00316227766 / 8, 0.001 / 8,
                0.000316227766 / 8};
        double[] inv = Rope.inverseFrequencies(config);
        for (int i = 0; i < 8; i++) {
            assertEquals(expected[i], inv[i], 1e-6 * expected[i], "inv_freq[" + i + "]");
        }
        assertEquals(1.0, Rope.attentionScaling(config));
    }

    @Test
    void linearScalingDividesPositionsByFactor() {
        Random rng = new Random(5);
        Rope.Table scaled = Rope.Table.build(new Rope.Config(8, 8, 10000, new Rope.Scaling.Linear(4)), 64);
        Rope.Table plain = Rope.Table.build(Rope.Config.of(8, 10000), 64);
        float[] x = randomFloats(rng, 8, 1f);
        float[] a = new float[8];
        float[] b = new float[8];
        Rope.forward(a, 0, x, 0, new int[] {40}, 0, scaled, 1, 1); // position 40 / 4 = 10
        Rope.forward(b, 0, x, 0, new int[] {10}, 0, plain, 1, 1);
        assertClose("linear scaling", a, b, 1e-5, 1e-6);
    }

    @Test
    void yarnFrequenciesAndAttentionFactorMatchTransformersFormula() {
        // dim 16, theta 1e4, factor 4, original 64, beta_fast 32, beta_slow 1:
        // correction dim(r) = 16·ln(64 / (2π r)) / (2 ln 1e4): r=32 → −0.994 → floor, clamp → 0;
        // r=1 → 2.016 → ceil → 3. ramp_i = clamp(i/3, 0, 1), extrapolation weight 1 − ramp_i:
        // inv_i = inv_i/4 · ramp_i + inv_i · (1 − ramp_i) → 1, 0.2371708, 0.05, then inv_i/4.
        // attention factor = 0.1·ln 4 + 1 = 1.1386294
        Rope.Config config = new Rope.Config(16, 16, 10000, Rope.Scaling.Yarn.of(4, 64));
        double[] expected = {1.0, 0.23717082, 0.05, 0.0316227766 / 4, 0.01 / 4, 0.00316227766 / 4, 0.001 / 4,
                0.000316227766 / 4};
        double[] inv = Rope.inverseFrequencies(config);
        for (int i = 0; i < 8; i++) {
            assertEquals(expected[i], inv[i], 1e-6 * expected[i], "inv_freq[" + i + "]");
        }
        assertEquals(1.1386294, Rope.attentionScaling(config), 1e-7);
        Rope.Table table = Rope.Table.build(config, 4);
        assertEquals(1.1386294f, table.cos()[0], 1e-6f, "cos at position 0 carries the attention factor");
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        Random rng = new Random(6);
        for (Rope.Config config : new Rope.Config[] {
                Rope.Config.of(6, 10000), new Rope.Config(40, 20, 10000, new Rope.Scaling.Llama3(8, 1, 4, 16)),
                new Rope.Config(12, 8, 10000, Rope.Scaling.Yarn.of(4, 16))}) {
            int BT = 4;
            int NH = 2;
            Rope.Table table = Rope.Table.build(config, 50);
            int n = BT * NH * config.headSize();
            float[] x = randomFloats(rng, n, 1f);
            float[] g = randomFloats(rng, n, 1f);
            int[] pos = randomPositions(rng, BT, 50);
            float[] dx = new float[n];
            Rope.backward(dx, 0, g, 0, pos, 0, table, BT, NH);
            GradCheck.assertGradient("rope dx HS=" + config.headSize(), dx, GradCheck.toDouble(x),
                    xd -> GradCheck.dot(reference(xd, pos, config, NH), g));
        }
    }

    @Test
    void backwardAccumulates() {
        Rope.Table table = Rope.Table.build(Rope.Config.of(4, 10000), 8);
        float[] g = {1, 2, 3, 4};
        float[] once = new float[4];
        Rope.backward(once, 0, g, 0, new int[] {5}, 0, table, 1, 1);
        float[] twice = new float[4];
        Rope.backward(twice, 0, g, 0, new int[] {5}, 0, table, 1, 1);
        Rope.backward(twice, 0, g, 0, new int[] {5}, 0, table, 1, 1);
        for (int i = 0; i < 4; i++) {
            assertEquals(2 * once[i], twice[i], 1e-6f);
        }
    }

    @Test
    void tokenAtPositionPGetsTheSameRotationWhateverItsBatchAndStart() {
        Random rng = new Random(7);
        Rope.Table table = Rope.Table.build(Rope.Config.of(16, 10000), 32);
        int B = 2;
        int T = 4;
        int NH = 2;
        int row = NH * 16;
        float[] x = randomFloats(rng, B * T * row, 1f);
        // row 0 continues a cache at 5; row 1 is left-padded by two tokens
        int[] pos = {5, 6, 7, 8, 0, 0, 0, 1};
        float[] byPositions = new float[x.length];
        Rope.forward(byPositions, 0, x, 0, pos, 0, table, B * T, NH);
        for (int r = 0; r < B * T; r++) {
            float[] single = new float[row];
            Rope.forward(single, 0, x, r * row, pos[r], table, 1, 1, NH); // the token alone, start = its position
            float[] got = java.util.Arrays.copyOfRange(byPositions, r * row, (r + 1) * row);
            assertArrayEquals(single, got, "token " + r + " at position " + pos[r]);
        }
        // the start-offset form equals the explicit positions start + t
        float[] byStart = new float[x.length];
        Rope.forward(byStart, 0, x, 0, 3, table, B, T, NH);
        float[] explicit = new float[x.length];
        Rope.forward(explicit, 0, x, 0, new int[] {3, 4, 5, 6, 3, 4, 5, 6}, 0, table, B * T, NH);
        assertArrayEquals(explicit, byStart);
        float[] dStart = new float[x.length];
        float[] dExplicit = new float[x.length];
        Rope.backward(dStart, 0, x, 0, 3, table, B, T, NH);
        Rope.backward(dExplicit, 0, x, 0, new int[] {3, 4, 5, 6, 3, 4, 5, 6}, 0, table, B * T, NH);
        assertArrayEquals(dExplicit, dStart);
    }

    @Test
    void badInputIsRejectedWithClearMessages() {
        Rope.Table table = Rope.Table.build(Rope.Config.of(4, 10000), 8);
        float[] x = new float[8];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Rope.forward(x, 0, x, 0, new int[] {1, 8}, 0, table, 2, 1));
        assertTrue(e.getMessage().contains("position 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rope.forward(x, 0, x, 0, 6, table, 1, 4, 1));
        assertThrows(IllegalArgumentException.class, () -> Rope.backward(x, 0, x, 0, new int[] {1, 2}, 0, table, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Config(8, 5, 10000, new Rope.Scaling.None()));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Scaling.Llama3(8, 4, 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> new Rope.Scaling.Linear(0.5));
    }
}
