package io.supportlm.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The engine's thread pool and its parallel loops.
 *
 * <p>Partitioning is fixed: a range is cut into {@link #threads()} contiguous chunks of equal size
 * (the last ones possibly one shorter), whatever the timing. Each chunk is computed in a fixed
 * order, so a kernel that writes disjoint outputs per chunk gives bit-identical results for the
 * same thread count. The pool size defaults to the available processors and can be set with the
 * system property {@code supportlm.threads} or {@link #setThreads(int)}.
 */
public final class Parallel {
    /** The body of a parallel loop: process indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** A body that also receives which chunk (0..threads-1) it is, for per-thread scratch memory. */
    @FunctionalInterface
    public interface ChunkBody {
        void run(int chunk, int from, int to);
    }

    private static volatile int threads = Integer.getInteger("supportlm.threads", Runtime.getRuntime().availableProcessors());
    private static volatile ExecutorService pool;

    private Parallel() {}

    public static int threads() {
        return threads;
    }

    /** Sets the number of threads used by every parallel loop from now on. */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + n);
        }
        if (n != threads) {
            threads = n;
            ExecutorService old = pool;
            pool = null;
            if (old != null) {
                old.shutdown();
            }
        }
    }

    private static ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                if (pool == null) {
                    AtomicInteger id = new AtomicInteger();
                    ThreadFactory factory = r -> {
                        Thread t = new Thread(r, "supportlm-compute-" + id.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    };
                    pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), factory);
                }
                p = pool;
            }
        }
        return p;
    }

    /** Start of chunk {@code c} when {@code n} items are cut into {@code chunks} chunks. */
    public static int chunkStart(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }

    /** Runs {@code body} over {@code [0, n)} cut into the fixed chunks. */
    public static void forRange(int n, RangeBody body) {
        forChunks(n, (chunk, from, to) -> body.run(from, to));
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@link #threads()} chunks. The calling thread
     * computes chunk 0; small ranges run inline.
     */
    public static void forChunks(int n, ChunkBody body) {
        int chunks = Math.min(threads, n);
        if (chunks <= 1) {
            if (n > 0) {
                body.run(0, 0, n);
            }
            return;
        }
        List<Future<?>> futures = new ArrayList<>(chunks - 1);
        ExecutorService p = pool();
        for (int c = 1; c < chunks; c++) {
            int chunk = c;
            int from = chunkStart(n, chunks, c);
            int to = chunkStart(n, chunks, c + 1);
            futures.add(p.submit(() -> body.run(chunk, from, to)));
        }
        Throwable failure = null;
        try {
            body.run(0, 0, chunkStart(n, chunks, 1));
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new RuntimeException(failure);
        }
    }
}
