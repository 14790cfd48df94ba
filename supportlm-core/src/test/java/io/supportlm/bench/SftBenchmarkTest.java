package io.supportlm.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class SftBenchmarkTest {
    @Test
    void aSmokeRunReportsTokensPerSecondAndTheShareOfPeak() throws Exception {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        SftBenchmark.Result r = new SftBenchmark(1, 512, 1, 16, 0, 1, new PrintStream(text)).run();
        assertTrue(r.tokensPerSecond() > 0 && r.gflops() > 0 && r.peakGflops() > 0, r.toString());
        assertTrue(text.toString().contains("tokens/s"), text.toString());
    }
}
