package io.supportlm.server.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load: {@code clients} callers on virtual threads, each sending its next request as
 * soon as its previous answer is complete, until the time is up or {@code maxRequests} have been
 * sent, whichever comes first. A request started before the deadline is allowed to finish, and
 * the elapsed time runs until the last one has, so throughput is completed requests over the
 * time they took.
 */
public final class LoadGenerator {
    private LoadGenerator() {}

    /**
     * What one request gave back: whether it succeeded (a failed one says why), how many units of
     * work it carried (completion tokens for a stream, 1 for a classification), and the time from
     * sending to the first unit, in nanoseconds (−1 when that is not measured).
     */
    public record Sample(boolean ok, long units, long firstUnitNanos, String failure) {
        public static Sample success(long units, long firstUnitNanos) {
            return new Sample(true, units, firstUnitNanos, null);
        }

        public static Sample failed(String why) {
            return new Sample(false, 0, -1, why);
        }
    }

    /** Sends request number {@code sequence} (0, 1, 2, … across all clients) and waits for the whole answer. */
    @FunctionalInterface
    public interface Request {
        Sample send(long sequence) throws Exception;
    }

    /** Latencies of one client; plain arrays so that recording costs nothing measurable. */
    private static final class Recorder {
        long[] latencies = new long[1024];
        long[] firstUnits = new long[1024];
        int count;
        int firstCount;
        long units;
        long errors;

        void record(long nanos, Sample s) {
            if (!s.ok()) {
                errors++;
                return;
            }
            if (count == latencies.length) {
                latencies = Arrays.copyOf(latencies, 2 * count);
            }
            latencies[count++] = nanos;
            units += s.units();
            if (s.firstUnitNanos() >= 0) {
                if (firstCount == firstUnits.length) {
                    firstUnits = Arrays.copyOf(firstUnits, 2 * firstCount);
                }
                firstUnits[firstCount++] = s.firstUnitNanos();
            }
        }
    }

    public static LoadResult run(int clients, Duration duration, long maxRequests, Request request) {
        if (clients < 1) {
            throw new IllegalArgumentException("the load needs at least one client, got " + clients);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("the load must last a positive time, got " + duration);
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("the load needs at least one request, got " + maxRequests);
        }
        AtomicLong issued = new AtomicLong();
        List<Recorder> recorders = new ArrayList<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                Recorder r = new Recorder();
                recorders.add(r);
                callers.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        long sequence = issued.getAndIncrement();
                        if (sequence >= maxRequests) {
                            break;
                        }
                        long t0 = System.nanoTime();
                        Sample s;
                        try {
                            s = request.send(sequence);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (Exception e) {
                            s = Sample.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                        r.record(System.nanoTime() - t0, s);
                        if (!s.ok() && failures.size() < 5) {
                            failures.add(s.failure());
                        }
                    }
                });
            }
        } // close() waits for every caller
        long elapsed = System.nanoTime() - start;
        long n = 0, firsts = 0, units = 0, errors = 0;
        for (Recorder r : recorders) {
            n += r.count;
            firsts += r.firstCount;
            units += r.units;
            errors += r.errors;
        }
        long[] latencies = new long[Math.toIntExact(n)];
        long[] firstUnits = new long[Math.toIntExact(firsts)];
        int at = 0, atFirst = 0;
        for (Recorder r : recorders) {
            System.arraycopy(r.latencies, 0, latencies, at, r.count);
            at += r.count;
            System.arraycopy(r.firstUnits, 0, firstUnits, atFirst, r.firstCount);
            atFirst += r.firstCount;
        }
        return new LoadResult(clients, elapsed, latencies, firstUnits, units, errors, List.copyOf(failures));
    }
}
