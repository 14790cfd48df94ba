package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DequantizeTest {
    static QuantizedTensor random(QuantScheme scheme, int n, long seed) {
        Random rng = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        return QuantizedTensor.quantize("w", Tensor.wrap(w, n), scheme);
    }

    @ParameterizedTest(name = "{0}, {1} elements")
    @CsvSource({"NF4,1", "NF4,33", "NF4,64", "NF4,1001", "NF4,4096", "INT8,1", "INT8,77", "INT8,1000", "INT8,4096"})
    void vectorRunsEqualTheScalarReferenceForEveryStartAndLength(QuantScheme scheme, int n) {
        QuantizedTensor q = random(scheme, n, n);
        float[] expected = q.dequantize();
        Random rng = new Random(n + 1);
        for (int trial = 0; trial < 60; trial++) {
            int start = trial == 0 ? 0 : rng.nextInt(n);
            int len = trial == 0 ? n : rng.nextInt(n - start + 1);
            float[] vector = new float[len + 3];
            float[] scalar = new float[len + 3];
            Dequantize.run(q, start, len, vector, 3);
            Dequantize.runScalar(q, start, len, scalar, 3);
            float[] want = new float[len + 3];
            System.arraycopy(expected, start, want, 3, len);
            assertArrayEquals(want, scalar, "scalar, start " + start + " length " + len);
            assertArrayEquals(want, vector, "vector, start " + start + " length " + len);
        }
    }
}
