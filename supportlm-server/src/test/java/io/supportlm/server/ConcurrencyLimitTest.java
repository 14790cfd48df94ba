package io.supportlm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitTest {
    @Test
    void runsUpToTheLimitQueuesTheNextAndRefusesBeyond() throws Exception {
        ConcurrencyLimit limit = new ConcurrencyLimit(2, 1);
        ConcurrencyLimit.Slot a = limit.acquire(Duration.ofSeconds(1));
        ConcurrencyLimit.Slot b = limit.acquire(Duration.ofSeconds(1));
        assertEquals(2, limit.active());
        CountDownLatch gotSlot = new CountDownLatch(1);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            ConcurrencyLimit.Slot c = limit.acquire(Duration.ofSeconds(10));
            gotSlot.countDown();
            c.close();
        });
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (limit.waiting() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(1, limit.waiting());
        ApiException full = assertThrows(ApiException.class, () -> limit.acquire(Duration.ofSeconds(1)));
        assertEquals(429, full.status());
        assertEquals("1", full.retryAfterSeconds());
        a.close();
        assertEquals(true, gotSlot.await(5, TimeUnit.SECONDS));
        waiter.get(5, TimeUnit.SECONDS);
        b.close();
        assertEquals(0, limit.active());
        assertEquals(0, limit.waiting());
    }

    @Test
    void aWaiterThatTimesOutIsRefusedWith503() {
        ConcurrencyLimit limit = new ConcurrencyLimit(1, 4);
        ConcurrencyLimit.Slot held = limit.acquire(Duration.ofSeconds(1));
        ApiException e = assertThrows(ApiException.class, () -> limit.acquire(Duration.ofMillis(20)));
        assertEquals(503, e.status());
        assertEquals(0, limit.waiting());
        held.close();
        assertEquals(0, limit.active());
    }
}
