package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;
import jdk.incubator.vector.FloatVector;

/**
 * Measures the machine's f32 fused-multiply-add peak as this JVM reaches it: every thread runs
 * independent vector FMA chains that never touch memory. Matmul efficiency is quoted against it.
 */
public final class Peak {
    private Peak() {}

    /** Best GFLOP/s over {@code repeats} timed runs of about {@code millis} each, on all threads. */
    public static double gflops(int repeats, int millis) {
        Meter meter = Meter.calibrate(millis);
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            best = Math.max(best, meter.measure());
        }
        return best;
    }

    /**
     * A calibrated peak measurement that can be repeated between other timings, so that the peak
     * and what is quoted against it are sampled over the same spell of a shared host's clock.
     */
    public static final class Meter {
        private final long calls;

        private Meter(long calls) {
            this.calls = calls;
        }

        /**
         * Warms up until the JIT has compiled the FMA chains (not just an on-stack replacement of
         * the loop, which is slower), then sizes one measurement to about {@code millis}.
         */
        public static Meter calibrate(int millis) {
            for (int i = 0; i < 500; i++) {
                sink(chains(CALL_ITERATIONS));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                sink(chains(CALL_ITERATIONS));
            }
            long dt = Math.max(1, (System.nanoTime() - t0) / 10);
            return new Meter(Math.max(1, millis * 1_000_000L / dt));
        }

        /** One measurement on all threads, in GFLOP/s. */
        public double measure() {
            int threads = Parallel.threads();
            long start = System.nanoTime();
            Parallel.forRange(threads, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (long call = 0; call < calls; call++) {
                        sink(chains(CALL_ITERATIONS));
                    }
                }
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            double flops = (double) threads * calls * CALL_ITERATIONS * CHAINS * Simd.LANES * 2;
            return flops / seconds / 1e9;
        }
    }

    private static final int CHAINS = 12;
    private static final int CALL_ITERATIONS = 100_000;
    private static volatile float blackhole;

    private static void sink(float v) {
        blackhole = v;
    }

    /** CHAINS independent FMA dependency chains: enough to cover the FMA latency on two ports. */
    private static float chains(int iters) {
        FloatVector m = FloatVector.broadcast(Simd.F, 0.999999f);
        FloatVector a = FloatVector.broadcast(Simd.F, 1e-6f);
        FloatVector c0 = FloatVector.broadcast(Simd.F, 1f), c1 = c0.add(1), c2 = c0.add(2), c3 = c0.add(3);
        FloatVector c4 = c0.add(4), c5 = c0.add(5), c6 = c0.add(6), c7 = c0.add(7);
        FloatVector c8 = c0.add(8), c9 = c0.add(9), c10 = c0.add(10), c11 = c0.add(11);
        for (int i = 0; i < iters; i++) {
            c0 = c0.fma(m, a);
            c1 = c1.fma(m, a);
            c2 = c2.fma(m, a);
            c3 = c3.fma(m, a);
            c4 = c4.fma(m, a);
            c5 = c5.fma(m, a);
            c6 = c6.fma(m, a);
            c7 = c7.fma(m, a);
            c8 = c8.fma(m, a);
            c9 = c9.fma(m, a);
            c10 = c10.fma(m, a);
            c11 = c11.fma(m, a);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
