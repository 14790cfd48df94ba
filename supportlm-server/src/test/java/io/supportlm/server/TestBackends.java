package io.supportlm.server;

import io.supportlm.classify.ClassificationTask;
import io.supportlm.server.classify.ClassificationBackend;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Decorators over a real backend: a gate that holds batches (slow model), and a recorder of what the model saw. */
final class TestBackends {
    private TestBackends() {}

    /** Holds every batch until {@link #open()}; counts batches that entered. */
    static final class Gated implements ClassificationBackend {
        final ClassificationBackend inner;
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicInteger entered = new AtomicInteger();
        final AtomicInteger firstBatchSize = new AtomicInteger(-1);

        Gated(ClassificationBackend inner) {
            this.inner = inner;
        }

        void open() {
            gate.countDown();
        }

        void awaitEntered(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (entered.get() < n) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no batch reached the model within 10 s");
                }
                Thread.sleep(2);
            }
        }

        @Override
        public List<ClassificationTask> tasks() {
            return inner.tasks();
        }

        @Override
        public Output classify(List<String> texts) {
            firstBatchSize.compareAndSet(-1, texts.size());
            entered.incrementAndGet();
            try {
                if (!gate.await(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return inner.classify(texts);
        }
    }

    /** Records every text the model is given. */
    static final class Recording implements ClassificationBackend {
        final ClassificationBackend inner;
        final List<String> seen = new CopyOnWriteArrayList<>();

        Recording(ClassificationBackend inner) {
            this.inner = inner;
        }

        @Override
        public List<ClassificationTask> tasks() {
            return inner.tasks();
        }

        @Override
        public Output classify(List<String> texts) {
            seen.addAll(texts);
            return inner.classify(texts);
        }
    }
}
