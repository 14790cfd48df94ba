package io.supportlm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuantBenchmarkTest {
    @Test
    void memoryTableMatchesTheHandCountedBytesOfA135mDecoder() {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        QuantBenchmark.Memory m = new QuantBenchmark(1, new PrintStream(text, true, StandardCharsets.UTF_8)).memory();
        // Per layer: 2·576² (q, o) + 2·192·576 (k, v) + 3·1536·576 (gate, up, down) = 3,538,944 weights;
        // every matrix is a whole number of 64-blocks, so NF4 = n/2 + 4n/64 and INT8 = n + 4n/64.
        long n = 30L * 3_538_944;
        assertEquals(n, m.elements());
        assertEquals(4 * n, m.f32());
        assertEquals(2 * n, m.bf16());
        assertEquals(n / 2 + n / 16, m.nf4());
        assertEquals(n + n / 16, m.int8());
        String printed = text.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("59,719,680") && printed.contains("424,673,280"), printed);
    }
}
