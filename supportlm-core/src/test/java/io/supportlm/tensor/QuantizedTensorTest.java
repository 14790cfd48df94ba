package io.supportlm.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizedTensorTest {
    static final int BLOCK = QuantScheme.BLOCK_SIZE;

    static float[] gaussian(Random rng, int n, float std) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) rng.nextGaussian() * std;
        }
        return w;
    }

    @Test
    void nf4LevelsAreBitsandbytesTable() {
        // bitsandbytes/backends/utils.py, _NF4_QUANT_TABLE (float32).
        float[] expected = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f,
            0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f,
            0.5626170039176941f, 0.7229568362236023f, 1.0f};
        assertArrayEquals(expected, QuantScheme.nf4Levels());
        assertEquals(0f, QuantScheme.NF4.level(QuantScheme.NF4_ZERO));
    }

    /** Largest distance between adjacent NF4 levels: twice the worst rounding error of w/absmax. */
    static float maxNf4Gap() {
        float[] levels = QuantScheme.nf4Levels();
        float gap = 0;
        for (int i = 1; i < levels.length; i++) {
            gap = Math.max(gap, levels[i] - levels[i - 1]);
        }
        return gap;
    }

    static float blockAbsmax(float[] w, int b) {
        float m = 0;
        for (int i = b * BLOCK; i < Math.min(w.length, (b + 1) * BLOCK); i++) {
            m = Math.max(m, Math.abs(w[i]));
        }
        return m;
    }

    @ParameterizedTest(name = "{0} elements")
    @ValueSource(ints = {1, 2, 63, 64, 65, 127, 1000, 4097})
    void nf4RoundTripErrorIsWithinHalfTheLargestLevelGapPerBlock(int n) {
        float[] w = gaussian(new Random(n), n, 0.05f);
        QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, n), QuantScheme.NF4);
        float[] back = q.dequantize();
        float halfGap = maxNf4Gap() / 2;
        for (int i = 0; i < n; i++) {
            float absmax = blockAbsmax(w, i / BLOCK);
            float bound = absmax * halfGap * (1 + 1e-6f);
            assertTrue(Math.abs(back[i] - w[i]) <= bound, "element " + i + ": " + w[i] + " came back as " + back[i]);
        }
        assertEquals(QuantScheme.blocks(n), q.scales().length, "one scale per block, the last one partial");
        assertEquals((n + 1) / 2, q.codes().length);
    }

    @Test
    void nf4PicksTheNearestLevel() {
        float[] levels = QuantScheme.nf4Levels();
        float[] w = gaussian(new Random(3), 640, 1f);
        QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, 640), QuantScheme.NF4);
        for (int i = 0; i < w.length; i++) {
            float x = w[i] / q.scales()[i / BLOCK];
            float chosen = Math.abs(x - levels[q.code(i)]);
            for (float level : levels) {
                assertTrue(chosen <= Math.abs(x - level) + 1e-6f, "element " + i + " is not on its nearest level");
            }
        }
    }

    @Test
    void theBlockMaximumIsReproducedExactly() {
        float[] w = gaussian(new Random(4), 256, 1f);
        QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, 256), QuantScheme.NF4);
        for (int b = 0; b < 4; b++) {
            int arg = b * BLOCK;
            for (int i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
                if (Math.abs(w[i]) > Math.abs(w[arg])) {
                    arg = i;
                }
            }
            assertEquals(w[arg], q.getFloat(arg), "the absmax element maps to ±1 times the scale");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"NF4", "INT8"})
    void zerosAndAllZeroBlocksStayZero(QuantScheme scheme) {
        float[] w = gaussian(new Random(5), 200, 1f);
        for (int i = 64; i < 128; i++) {
            w[i] = 0f; // a whole block with absmax 0
        }
        w[3] = 0f;
        w[150] = 0f;
        float[] back = QuantizedTensor.quantize("w", Tensor.wrap(w, 200), scheme).dequantize();
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0f) {
                assertEquals(0f, back[i], "element " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"NF4", "INT8"})
    void aBlockOfEqualValuesIsExact(QuantScheme scheme) {
        float[] w = new float[130];
        java.util.Arrays.fill(w, 0, 64, 0.37f);
        java.util.Arrays.fill(w, 64, 128, -2.5f);
        java.util.Arrays.fill(w, 128, 130, 1e-3f);
        assertArrayEquals(w, QuantizedTensor.quantize("w", Tensor.wrap(w, 130), scheme).dequantize(), 1e-7f);
    }

    @ParameterizedTest(name = "{0} elements")
    @ValueSource(ints = {1, 64, 100, 129, 3000})
    void int8RoundTripErrorIsAtMostAbsmaxOver254(int n) {
        float[] w = gaussian(new Random(n + 7), n, 0.3f);
        QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, n), QuantScheme.INT8);
        float[] back = q.dequantize();
        for (int i = 0; i < n; i++) {
            float absmax = blockAbsmax(w, i / BLOCK);
            assertTrue(Math.abs(back[i] - w[i]) <= absmax / 254 * (1 + 1e-5f),
                    "element " + i + ": " + w[i] + " came back as " + back[i]);
            assertTrue(Math.abs(q.code(i)) <= 127);
        }
        assertEquals(n, q.codes().length);
    }

    @Test
    void nf4PacksTheEvenElementInTheHighNibbleLikeBitsandbytes() {
        // -1 → code 0, +1 → code 15, 0 → code 7 (absmax 1 for the block).
        float[] w = {1f, -1f, 0f, 1f, -1f};
        QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, 5), QuantScheme.NF4);
        assertArrayEquals(new byte[] {(byte) 0xF0, (byte) 0x7F, (byte) 0x07}, q.codes(),
                "byte i = code(2i) << 4 | code(2i+1); an odd count pads with the zero code");
    }

    @Test
    void readsBf16WeightsAndSizesItsStorageExactly() {
        float[] w = gaussian(new Random(8), 6 * 100, 1f);
        try (Arena arena = Arena.ofConfined()) {
            Tensor bf16 = Tensor.convert(w, DType.BF16, arena, 6, 100);
            QuantizedTensor q = QuantizedTensor.quantize("w", bf16, QuantScheme.NF4);
            assertEquals(Shape.of(6, 100), q.shape());
            assertEquals(300 + 4 * 10, q.byteSize());
            assertEquals(QuantScheme.NF4.byteSize(600), q.byteSize());
            assertEquals(600 + 4 * 10, QuantScheme.INT8.byteSize(600));
            QuantizedTensor direct = QuantizedTensor.quantize("w", Tensor.wrap(bf16.toFloatArray(), 6, 100), QuantScheme.NF4);
            assertArrayEquals(direct.codes(), q.codes());
        }
    }

    @Test
    void aNonFiniteWeightIsRefusedByName() {
        float[] w = {0.1f, Float.NaN, 0.2f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuantizedTensor.quantize("layers.0.q_proj.weight", Tensor.wrap(w, 3), QuantScheme.NF4));
        assertTrue(e.getMessage().contains("layers.0.q_proj.weight") && e.getMessage().contains("element 1"), e.getMessage());
    }
}
