package io.supportlm.server.classify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Groups classification requests of one model into batches: a single worker thread takes up to
 * {@code maxBatch} waiting texts, waiting at most {@code maxWait} after the first for more, runs
 * one forward, and completes each request's future. The queue is bounded: a request whose texts
 * do not all fit is refused whole ({@link QueueFullException}), so callers can answer 429 at once
 * instead of piling up latency.
 */
public final class MicroBatcher implements AutoCloseable {
    /** Thrown by {@link #submit} when the queue has no room for the request. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(String message) {
            super(message, null, false, false);
        }
    }

    /** A finished request: one row per text, and the forward time of the batches that ran them. */
    public record Result(List<ClassificationBackend.Row> rows, double inferenceMs) {}

    private static final class Pending {
        final String text;
        final Request owner;
        final int index;

        Pending(String text, Request owner, int index) {
            this.text = text;
            this.owner = owner;
            this.index = index;
        }
    }

    private static final class Request {
        final ClassificationBackend.Row[] rows;
        final CompletableFuture<Result> future = new CompletableFuture<>();
        int remaining; // only the worker thread touches rows, remaining and inferenceMs
        double inferenceMs;

        Request(int n) {
            rows = new ClassificationBackend.Row[n];
            remaining = n;
        }
    }

    private final String model;
    private final ClassificationBackend backend;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final int capacity;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Thread worker;
    private final DistributionSummary batchSizes;
    private final Timer inference;
    private final Counter tokens;
    private volatile boolean closed;

    public MicroBatcher(String model, ClassificationBackend backend, int maxBatch, Duration maxWait, int capacity, MeterRegistry registry) {
        if (maxBatch < 1 || capacity < 1) {
            throw new IllegalArgumentException("micro-batcher needs max batch ≥ 1 and capacity ≥ 1, got " + maxBatch + ", " + capacity);
        }
        this.model = model;
        this.backend = backend;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = maxWait.toNanos();
        this.capacity = capacity;
        this.batchSizes = DistributionSummary.builder("supportlm.classify.batch.size")
                .description("texts per forward pass of the classification micro-batcher")
                .tag("model", model)
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128)
                .register(registry);
        this.inference = Timer.builder("supportlm.classify.inference")
                .description("time of one batched classification forward")
                .tag("model", model)
                .publishPercentileHistogram()
                .register(registry);
        this.tokens = Counter.builder("supportlm.classify.tokens")
                .description("tokens read by classification (rate() gives tokens/s)")
                .tag("model", model)
                .register(registry);
        Gauge.builder("supportlm.classify.queue.depth", this, MicroBatcher::depth)
                .description("texts waiting for a classification batch")
                .tag("model", model)
                .register(registry);
        this.worker = Thread.ofPlatform().name("classify-batcher-" + model).daemon(true).start(this::run);
    }

    public String model() {
        return model;
    }

    public ClassificationBackend backend() {
        return backend;
    }

    /** Texts waiting now. */
    public int depth() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /** Queues all {@code texts} as one request, or none of them when they do not fit. */
    public CompletableFuture<Result> submit(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("nothing to classify");
        }
        Request request = new Request(texts.size());
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("model '" + model + "' is shutting down");
            }
            if (queue.size() + texts.size() > capacity) {
                throw new QueueFullException("model '" + model + "' has " + queue.size() + " texts waiting (capacity " + capacity + ")");
            }
            for (int i = 0; i < texts.size(); i++) {
                queue.addLast(new Pending(texts.get(i), request, i));
            }
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        return request.future;
    }

    private void run() {
        while (true) {
            List<Pending> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                return;
            }
            if (batch == null) {
                return;
            }
            process(batch);
        }
    }

    /** Blocks for the first text, then gathers more until the batch is full or the wait is over; null once closed and empty. */
    private List<Pending> nextBatch() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (closed) {
                    return null;
                }
                notEmpty.await();
            }
            long deadline = System.nanoTime() + maxWaitNanos;
            while (queue.size() < maxBatch && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                notEmpty.awaitNanos(left);
            }
            List<Pending> batch = new ArrayList<>(Math.min(maxBatch, queue.size()));
            while (batch.size() < maxBatch && !queue.isEmpty()) {
                Pending p = queue.pollFirst();
                if (!p.owner.future.isDone()) { // a timed-out or cancelled request costs no compute
                    batch.add(p);
                }
            }
            return batch;
        } finally {
            lock.unlock();
        }
    }

    private void process(List<Pending> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<String> texts = batch.stream().map(p -> p.text).toList();
        long start = System.nanoTime();
        ClassificationBackend.Output out;
        try {
            out = backend.classify(texts);
            if (out.rows().size() != texts.size()) {
                throw new IllegalStateException("backend returned " + out.rows().size() + " rows for " + texts.size() + " texts");
            }
        } catch (RuntimeException | Error e) {
            for (Pending p : batch) {
                p.owner.future.completeExceptionally(e);
            }
            return;
        }
        long nanos = System.nanoTime() - start;
        batchSizes.record(texts.size());
        inference.record(nanos, TimeUnit.NANOSECONDS);
        tokens.increment(out.tokens());
        double ms = nanos / 1e6;
        java.util.Set<Request> owners = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < batch.size(); i++) {
            Pending p = batch.get(i);
            Request r = p.owner;
            r.rows[p.index] = out.rows().get(i);
            r.remaining--;
            if (owners.add(r)) { // each batch that carried texts of r adds its forward time once
                r.inferenceMs += ms;
            }
            if (r.remaining == 0) {
                r.future.complete(new Result(List.of(r.rows), r.inferenceMs));
            }
        }
    }

    /** Stops taking requests, finishes the queued ones, and waits up to {@code grace} for the worker. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public void close(Duration grace) {
        lock.lock();
        try {
            closed = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(Math.max(1, grace.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive()) {
            worker.interrupt();
        }
    }
}
