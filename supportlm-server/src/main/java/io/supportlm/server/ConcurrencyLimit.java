package io.supportlm.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control for work that runs request by request (generation): at most {@code running}
 * at once, at most {@code waiting} more queued behind them; beyond that the caller is refused at
 * once (429) instead of adding latency for everyone. A waiter that gets no slot within its
 * timeout is refused too (503). Use with try-with-resources:
 *
 * <pre>{@code
 * try (ConcurrencyLimit.Slot slot = limit.acquire(timeout)) { ... generate ... }
 * }</pre>
 */
public final class ConcurrencyLimit {
    /** A held slot; closing it lets the next waiter run. */
    public interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    private final Semaphore slots;
    private final int running;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();

    public ConcurrencyLimit(int running, int waiting) {
        if (running < 1 || waiting < 0) {
            throw new IllegalArgumentException("concurrency limit needs running ≥ 1 and waiting ≥ 0, got " + running + ", " + waiting);
        }
        this.slots = new Semaphore(running, true);
        this.running = running;
        this.maxWaiting = waiting;
    }

    /** Requests waiting for a slot now. */
    public int waiting() {
        return waiting.get();
    }

    /** Requests holding a slot now. */
    public int active() {
        return running - slots.availablePermits();
    }

    /** A slot, waiting at most {@code timeout}; 429 when the queue is full, 503 when the wait times out. */
    public Slot acquire(Duration timeout) {
        if (slots.tryAcquire()) {
            return slots::release;
        }
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            throw ApiException.overloaded("all " + running + " generation slots are busy and " + maxWaiting
                    + " requests are waiting; retry later", 1);
        }
        try {
            if (!slots.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new ApiException(503, "unavailable_error", null, "no generation slot became free within "
                        + timeout.toMillis() + " ms");
            }
            return slots::release;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "unavailable_error", null, "the server is shutting down");
        } finally {
            waiting.decrementAndGet();
        }
    }
}
