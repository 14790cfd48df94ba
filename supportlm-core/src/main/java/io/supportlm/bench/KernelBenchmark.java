package io.supportlm.bench;

import io.supportlm.kernels.Linear;
import io.supportlm.kernels.Peak;
import io.supportlm.kernels.Simd;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times the three products of a linear layer (forward, dX, dW) on the matmul shapes of a
 * 135M-parameter decoder (SmolLM2-135M: hidden 576, intermediate 1536, 3 KV heads of 64) for
 * 2048 tokens, with f32 and bf16 weights, and quotes each against the measured FMA peak.
 */
public final class KernelBenchmark {
    /** One linear layer's shape: {@code in → out}. */
    public record LayerShape(String name, int in, int out) {}

    public static final List<LayerShape> DECODER_135M = List.of(
            new LayerShape("q_proj/o_proj", 576, 576),
            new LayerShape("k_proj/v_proj", 576, 192),
            new LayerShape("gate_proj/up_proj", 576, 1536),
            new LayerShape("down_proj", 1536, 576));

    /** One timed measurement. */
    public record Result(String layer, String product, DType dtype, int M, int K, int N, double millis, double gflops) {}

    private final int tokens;
    private final int repeats;
    private final PrintStream out;

    public KernelBenchmark(int tokens, int repeats, PrintStream out) {
        this.tokens = tokens;
        this.repeats = repeats;
        this.out = out;
    }

    public List<Result> run() {
        out.printf("machine: %d threads, %d-lane f32 vectors (%s), Java %s%n", Parallel.threads(), Simd.LANES,
                Simd.ENABLED ? "Vector API" : "vectors off", Runtime.version());
        List<Product> products = new ArrayList<>();
        Random rng = new Random(1);
        List<Result> results = new ArrayList<>();
        double peak;
        try (Arena arena = Arena.ofShared()) {
            for (LayerShape s : DECODER_135M) {
                int M = tokens, K = s.in(), N = s.out();
                float[] x = random(rng, M * K);
                float[] w = random(rng, N * K);
                float[] dy = random(rng, M * N);
                float[] y = new float[M * N];
                float[] dx = new float[M * K];
                float[] dw = new float[N * K];
                for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                    Tensor weight = dtype == DType.F32 ? Tensor.wrap(w, N, K) : Tensor.convert(w, dtype, arena, N, K);
                    products.add(new Product(s.name(), "forward", dtype, M, K, N,
                            () -> Linear.forward(y, 0, x, 0, weight, null, M, K, N)));
                    products.add(new Product(s.name(), "dX", dtype, M, K, N,
                            () -> Linear.backward(dx, 0, null, null, dy, 0, x, 0, weight, M, K, N)));
                    if (dtype == DType.F32) { // dW is an f32 gradient whatever the weight's storage
                        products.add(new Product(s.name(), "dW", dtype, M, K, N,
                                () -> Linear.backward(null, 0, dw, null, dy, 0, x, 0, weight, M, K, N)));
                    }
                }
            }
            warmUp(products);
            Peak.Meter meter = Peak.Meter.calibrate(100);
            double[] best = new double[products.size()];
            peak = bestMillis(products, meter, best);
            out.printf("measured f32 FMA peak on %d threads: %.1f GFLOP/s (best of %d, taken between the rounds of products)%n%n",
                    Parallel.threads(), peak, repeats);
            out.printf("%-18s %-8s %-5s %6s %6s %6s %9s %9s %7s%n", "layer", "product", "dtype", "M", "K", "N", "ms", "GFLOP/s", "%peak");
            for (int i = 0; i < products.size(); i++) {
                results.add(report(products.get(i), best[i], peak));
            }
        }
        double flops = 0, seconds = 0;
        for (Result r : results) {
            if (r.dtype() == DType.F32) {
                flops += 2.0 * r.M() * r.K() * r.N();
                seconds += r.millis() / 1e3;
            }
        }
        double total = flops / seconds / 1e9;
        out.printf("%nf32, all products together: %.1f GFLOP/s = %.0f%% of the measured peak%n", total, 100 * total / peak);
        return results;
    }

    /** One product to time. */
    private record Product(String layer, String product, DType dtype, int M, int K, int N, Runnable op) {}

    /**
     * Runs every product until the JIT has settled (at least two passes and one second): timing
     * each product right after its first call would measure the first one's interpreted and
     * on-stack-replaced code (measured: k_proj's forward at 112 GFLOP/s instead of 240).
     */
    private static void warmUp(List<Product> products) {
        long start = System.nanoTime();
        for (int pass = 0; pass < 2 || System.nanoTime() - start < 1_000_000_000L; pass++) {
            products.forEach(p -> p.op().run());
        }
    }

    /**
     * Fills {@code best} with each product's best time over {@code repeats} rounds, a round timing
     * every product once, and returns the best peak measured once per round. Spreading the runs
     * over the whole measurement keeps one slow spell of a shared host (whose clock moves by 20%
     * from one second to the next) from spoiling all runs of one product or the peak alone.
     */
    private double bestMillis(List<Product> products, Peak.Meter meter, double[] best) {
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        double peak = 0;
        for (int r = 0; r < repeats; r++) {
            peak = Math.max(peak, meter.measure());
            for (int i = 0; i < products.size(); i++) {
                long t0 = System.nanoTime();
                products.get(i).op().run();
                best[i] = Math.min(best[i], (System.nanoTime() - t0) / 1e6);
            }
        }
        return peak;
    }

    private Result report(Product p, double best, double peak) {
        double gflops = 2.0 * p.M() * p.K() * p.N() / (best / 1e3) / 1e9;
        out.printf("%-18s %-8s %-5s %6d %6d %6d %9.2f %9.1f %6.0f%%%n", p.layer(), p.product(), p.dtype(), p.M(), p.K(), p.N(),
                best, gflops, 100 * gflops / peak);
        return new Result(p.layer(), p.product(), p.dtype(), p.M(), p.K(), p.N(), best, gflops);
    }

    private static float[] random(Random rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextFloat() * 2 - 1;
        }
        return a;
    }
}
