package io.supportlm.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexIsVisitedExactlyOnce() {
        for (int n : new int[] {0, 1, 2, 3, 17, 1000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(n);
            Parallel.forRange(n, (from, to) -> {
                for (int i = from; i < to; i++) {
                    seen.incrementAndGet(i);
                }
            });
            for (int i = 0; i < n; i++) {
                assertEquals(1, seen.get(i), "index " + i + " of " + n);
            }
        }
    }

    @Test
    void chunksAreFixedContiguousAndCoverTheRange() {
        int n = 10;
        int chunks = 3;
        int[] starts = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) {
            starts[c] = Parallel.chunkStart(n, chunks, c);
        }
        assertArrayEquals(new int[] {0, 3, 6, 10}, starts);
    }

    @Test
    void aFailureInAWorkerReachesTheCaller() {
        RuntimeException e = assertThrows(RuntimeException.class, () -> Parallel.forRange(100, (from, to) -> {
            if (to == 100) {
                throw new IllegalStateException("boom in last chunk");
            }
        }));
        assertEquals("boom in last chunk", e.getMessage());
    }
}
