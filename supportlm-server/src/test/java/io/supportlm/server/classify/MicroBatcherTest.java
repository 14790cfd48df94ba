package io.supportlm.server.classify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.supportlm.classify.ClassificationTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {
    static final ClassificationTask TASK = new ClassificationTask("length", List.of("short", "long"), 1f, null);

    /** A deterministic model: "long" when the text has more than 5 characters; records batch sizes; can be held. */
    static final class LengthModel implements ClassificationBackend {
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        final CountDownLatch gate;

        LengthModel(boolean held) {
            gate = new CountDownLatch(held ? 1 : 0);
        }

        @Override
        public List<ClassificationTask> tasks() {
            return List.of(TASK);
        }

        @Override
        public Output classify(List<String> texts) {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            batches.add(texts.size());
            List<Row> rows = new ArrayList<>();
            for (String t : texts) {
                float p = t.length() > 5 ? 0.9f : 0.1f;
                rows.add(new Row(List.of(new TaskProbabilities(TASK, new float[] {1 - p, p}))));
            }
            return new Output(rows, texts.stream().mapToInt(String::length).sum());
        }
    }

    @Test
    void requestsQueuedTogetherShareOneForwardAndKeepTheirOrder() throws Exception {
        LengthModel model = new LengthModel(true);
        try (MicroBatcher batcher = new MicroBatcher("m", model, 8, Duration.ofMillis(1), 100, new SimpleMeterRegistry())) {
            CompletableFuture<MicroBatcher.Result> first = batcher.submit(List.of("a"));
            waitUntil(() -> batcher.depth() == 0); // the worker holds "a" at the gate
            CompletableFuture<MicroBatcher.Result> second = batcher.submit(List.of("tiny", "much longer"));
            CompletableFuture<MicroBatcher.Result> third = batcher.submit(List.of("longer text", "b", "c"));
            model.gate.countDown();
            assertEquals("short", first.get().rows().getFirst().tasks().getFirst().best().label());
            List<String> labels = second.get().rows().stream().map(r -> r.tasks().getFirst().best().label()).toList();
            assertEquals(List.of("short", "long"), labels);
            assertEquals(List.of("long", "short", "short"), third.get().rows().stream().map(r -> r.tasks().getFirst().best().label()).toList());
            assertEquals(List.of(1, 5), model.batches, "the two later requests ran in one batch of five");
            assertTrue(third.get().inferenceMs() >= 0);
        }
    }

    @Test
    void batchesNeverExceedTheMaximum() throws Exception {
        LengthModel model = new LengthModel(true);
        try (MicroBatcher batcher = new MicroBatcher("m", model, 3, Duration.ofMillis(1), 100, new SimpleMeterRegistry())) {
            CompletableFuture<MicroBatcher.Result> held = batcher.submit(List.of("x"));
            waitUntil(() -> batcher.depth() == 0);
            CompletableFuture<MicroBatcher.Result> seven = batcher.submit(List.of("1", "2", "3", "4", "5", "6", "7"));
            model.gate.countDown();
            held.get();
            assertEquals(7, seven.get().rows().size());
            assertEquals(List.of(1, 3, 3, 1), model.batches);
        }
    }

    @Test
    void aRequestThatDoesNotFitIsRefusedWhole() throws Exception {
        LengthModel model = new LengthModel(true);
        try (MicroBatcher batcher = new MicroBatcher("m", model, 2, Duration.ZERO, 3, new SimpleMeterRegistry())) {
            CompletableFuture<MicroBatcher.Result> held = batcher.submit(List.of("x"));
            waitUntil(() -> batcher.depth() == 0);
            batcher.submit(List.of("a", "b"));
            assertThrows(MicroBatcher.QueueFullException.class, () -> batcher.submit(List.of("c", "d")));
            assertEquals(2, batcher.depth(), "nothing of the refused request was queued");
            batcher.submit(List.of("c"));
            model.gate.countDown();
            held.get();
        }
    }

    @Test
    void cancelledRequestsAreSkippedAndModelFailuresReachTheCaller() throws Exception {
        LengthModel model = new LengthModel(true);
        try (MicroBatcher batcher = new MicroBatcher("m", model, 4, Duration.ZERO, 10, new SimpleMeterRegistry())) {
            CompletableFuture<MicroBatcher.Result> held = batcher.submit(List.of("x"));
            waitUntil(() -> batcher.depth() == 0);
            batcher.submit(List.of("gone", "gone too")).cancel(false);
            CompletableFuture<MicroBatcher.Result> kept = batcher.submit(List.of("kept"));
            model.gate.countDown();
            held.get();
            kept.get();
            assertEquals(List.of(1, 1), model.batches, "the cancelled texts cost no compute");
        }
        ClassificationBackend broken = new ClassificationBackend() {
            @Override
            public List<ClassificationTask> tasks() {
                return List.of(TASK);
            }

            @Override
            public Output classify(List<String> texts) {
                throw new IllegalStateException("weights are gone");
            }
        };
        try (MicroBatcher batcher = new MicroBatcher("b", broken, 4, Duration.ZERO, 10, new SimpleMeterRegistry())) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> batcher.submit(List.of("a")).get());
            assertEquals("weights are gone", e.getCause().getMessage());
        }
    }

    @Test
    void closeFinishesQueuedWorkAndRefusesNew() throws Exception {
        LengthModel model = new LengthModel(false);
        MicroBatcher batcher = new MicroBatcher("m", model, 2, Duration.ofMillis(50), 10, new SimpleMeterRegistry());
        CompletableFuture<MicroBatcher.Result> queued = batcher.submit(List.of("a", "b", "c"));
        batcher.close(Duration.ofSeconds(5));
        assertEquals(3, queued.get(1, TimeUnit.SECONDS).rows().size());
        assertThrows(IllegalStateException.class, () -> batcher.submit(List.of("late")));
    }

    static void waitUntil(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(1);
        }
    }
}
