package io.supportlm.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class LoadGeneratorTest {
    @Test
    void stopsAtTheRequestCapBeforeTheDeadlineAndSendsEachSequenceOnce() {
        var seen = ConcurrentHashMap.<Long>newKeySet();
        LoadResult r = LoadGenerator.run(5, Duration.ofSeconds(30), 200, seq -> {
            assertTrue(seen.add(seq), "sequence " + seq + " sent twice");
            return LoadGenerator.Sample.success(3, 10);
        });
        assertEquals(200, r.requests());
        assertEquals(200, seen.size());
        assertEquals(600, r.units());
        assertTrue(r.seconds() < 10, "the cap ended the run, not the 30 s deadline");
    }

    @Test
    void stopsAtTheDeadlineAndLetsRequestsInFlightFinish() {
        LoadResult r = LoadGenerator.run(2, Duration.ofMillis(200), Long.MAX_VALUE, seq -> {
            Thread.sleep(50);
            return LoadGenerator.Sample.success(1, -1);
        });
        assertTrue(r.requests() >= 4 && r.requests() <= 12, "about 2 clients × 200 ms / 50 ms: " + r.requests());
        assertTrue(r.seconds() >= 0.2, "elapsed runs to the last answer: " + r.seconds());
        assertTrue(r.latencyMs(0.5) >= 50, "latency includes the 50 ms of work: " + r.latencyMs(0.5));
        assertEquals(0, r.firstUnitLatencies().length, "no first-unit times when none are measured");
    }

    @Test
    void failuresAndExceptionsAreCountedAsErrorsWithTheirReasons() {
        LoadResult r = LoadGenerator.run(1, Duration.ofSeconds(30), 10, seq -> {
            if (seq % 2 == 0) {
                return LoadGenerator.Sample.failed("HTTP 429");
            }
            if (seq == 3) {
                throw new java.io.IOException("connection reset");
            }
            return LoadGenerator.Sample.success(1, -1);
        });
        assertEquals(4, r.requests());
        assertEquals(6, r.errors());
        assertEquals(List.of("HTTP 429", "HTTP 429", "IOException: connection reset", "HTTP 429", "HTTP 429"), r.failures()); // sequences 0, 2, 3, 4, 6
    }

    @Test
    void quantilesUseTheNearestRank() {
        long[] ms = new long[100];
        for (int i = 0; i < 100; i++) {
            ms[i] = (100 - i) * 1_000_000L; // unsorted: 100 ms … 1 ms
        }
        LoadResult r = new LoadResult(1, 1_000_000_000L, ms, new long[0], 100, 0, List.of());
        assertEquals(50.0, r.latencyMs(0.5));
        assertEquals(99.0, r.latencyMs(0.99));
        assertEquals(100.0, r.latencyMs(1.0));
        assertEquals(1.0, r.latencyMs(0.0));
        assertEquals(100.0, r.requestsPerSecond());
        assertTrue(Double.isNaN(r.firstUnitMs(0.5)));
        assertThrows(IllegalArgumentException.class, () -> r.latencyMs(1.5));
    }
}
