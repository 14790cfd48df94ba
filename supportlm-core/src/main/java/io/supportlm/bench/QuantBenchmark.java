package io.supportlm.bench;

import io.supportlm.kernels.Dequantize;
import io.supportlm.kernels.Linear;
import io.supportlm.kernels.Simd;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.QuantScheme;
import io.supportlm.tensor.QuantizedTensor;
import io.supportlm.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What QLoRA's quantized base costs and saves: the exact storage of a 135M decoder's linear
 * weights (SmolLM2-135M: 30 layers, hidden 576, intermediate 1536, 3 KV heads of 64) in f32, bf16,
 * NF4 and INT8, and the speed of a linear layer's forward and dX products with NF4/INT8 weights
 * (dequantized while packing) against f32 and bf16.
 */
public final class QuantBenchmark {
    /** One projection of a decoder layer: weight {@code [out, in]}. */
    public record Projection(String name, int out, int in) {
        public long elements() {
            return (long) out * in;
        }
    }

    public static final int DECODER_135M_LAYERS = 30;

    public static final List<Projection> DECODER_135M_LAYER = List.of(
            new Projection("q_proj", 576, 576),
            new Projection("k_proj", 192, 576),
            new Projection("v_proj", 192, 576),
            new Projection("o_proj", 576, 576),
            new Projection("gate_proj", 1536, 576),
            new Projection("up_proj", 1536, 576),
            new Projection("down_proj", 576, 1536));

    /** Bytes of every linear weight of the 135M decoder under each storage. */
    public record Memory(long elements, long f32, long bf16, long nf4, long int8) {}

    /** One timed product. */
    public record Speed(String product, String storage, int M, int K, int N, double millis, double gflops) {}

    private final int repeats;
    private final PrintStream out;

    public QuantBenchmark(int repeats, PrintStream out) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
        }
        this.repeats = repeats;
        this.out = out;
    }

    /**
     * The exact storage, summed per matrix (each NF4/INT8 matrix has its own last partial block),
     * and checked against real quantized tensors of one layer.
     */
    public Memory memory() {
        long elements = 0, nf4 = 0, int8 = 0;
        for (Projection p : DECODER_135M_LAYER) {
            elements += p.elements();
            nf4 += QuantScheme.NF4.byteSize(p.elements());
            int8 += QuantScheme.INT8.byteSize(p.elements());
        }
        Random rng = new Random(1);
        for (Projection p : DECODER_135M_LAYER) { // the formula is what the tensors really hold
            Tensor w = Tensor.wrap(random(rng, (int) p.elements()), p.out(), p.in());
            for (QuantScheme s : QuantScheme.values()) {
                long real = QuantizedTensor.quantize(p.name(), w, s).byteSize();
                if (real != s.byteSize(p.elements())) {
                    throw new IllegalStateException(p.name() + " " + s + " holds " + real + " bytes, the formula says "
                            + s.byteSize(p.elements()));
                }
            }
        }
        int L = DECODER_135M_LAYERS;
        Memory m = new Memory(L * elements, L * elements * 4, L * elements * 2, L * nf4, L * int8);
        out.printf(Locale.ROOT, "linear weights of a 135M decoder (%d layers × q,k,v,o,gate,up,down): %,d weights%n", L, m.elements());
        out.printf(Locale.ROOT, "%-6s %15s %9s %8s %12s%n", "store", "bytes", "MiB", "vs f32", "bits/weight");
        row("f32", m.f32(), m);
        row("bf16", m.bf16(), m);
        row("nf4", m.nf4(), m);
        row("int8", m.int8(), m);
        out.println("(NF4/INT8: codes plus one f32 absmax scale per 64 weights; no double quantization)");
        return m;
    }

    /**
     * Measures what the quantized 135M linear weights really occupy on the heap: quantizes all
     * {@code 30 × 7} matrices (from one random source per shape), and reports the heap in use
     * after a full collection with them held, minus before. Includes object headers; a check
     * on the computed figure, not a replacement for it.
     */
    public long measuredHeap(QuantScheme scheme) {
        Random rng = new Random(4);
        List<Tensor> sources = new ArrayList<>();
        for (Projection p : DECODER_135M_LAYER) {
            sources.add(Tensor.wrap(random(rng, (int) p.elements()), p.out(), p.in()));
        }
        long before = usedHeapAfterGc();
        List<QuantizedTensor> held = new ArrayList<>();
        for (int layer = 0; layer < DECODER_135M_LAYERS; layer++) {
            for (int i = 0; i < sources.size(); i++) {
                held.add(QuantizedTensor.quantize(DECODER_135M_LAYER.get(i).name(), sources.get(i), scheme));
            }
        }
        long used = usedHeapAfterGc() - before;
        long computed = 0;
        for (QuantizedTensor q : held) {
            computed += q.byteSize();
        }
        out.printf(Locale.ROOT, "measured heap of the %d %s matrices: %,d bytes (%.1f MiB; computed %,d)%n", held.size(),
                scheme.name().toLowerCase(Locale.ROOT), used, used / 1048576.0, computed);
        return used;
    }

    private static long usedHeapAfterGc() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            memory.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private void row(String name, long bytes, Memory m) {
        out.printf(Locale.ROOT, "%-6s %,15d %9.1f %7.3fx %12.3f%n", name, bytes, bytes / 1048576.0, (double) bytes / m.f32(),
                8.0 * bytes / m.elements());
    }

    /**
     * Dequantization alone, vector against scalar, in nanoseconds per weight: 256-weight runs (one
     * packed panel column) over an N×K weight, best of {@code repeats}.
     */
    public void dequantizeSpeed(int K, int N) {
        out.printf(Locale.ROOT, "%ndequantize %d×%d in 256-weight runs (single thread)%n", N, K);
        out.printf(Locale.ROOT, "%-5s %12s %12s %8s%n", "store", "vector ns/w", "scalar ns/w", "speed-up");
        float[] w = random(new Random(3), N * K);
        float[] dst = new float[256];
        for (QuantScheme scheme : QuantScheme.values()) {
            QuantizedTensor q = QuantizedTensor.quantize("w", Tensor.wrap(w, N, K), scheme);
            Runnable vector = () -> {
                for (int off = 0; off + 256 <= N * K; off += 256) {
                    Dequantize.run(q, off, 256, dst, 0);
                }
            };
            Runnable scalar = () -> {
                for (int off = 0; off + 256 <= N * K; off += 256) {
                    Dequantize.runScalar(q, off, 256, dst, 0);
                }
            };
            double v = bestMillis(vector), sc = bestMillis(scalar);
            out.printf(Locale.ROOT, "%-5s %12.3f %12.3f %7.1fx%n", scheme.name().toLowerCase(Locale.ROOT),
                    v * 1e6 / (N * K), sc * 1e6 / (N * K), sc / v);
        }
    }

    private double bestMillis(Runnable op) {
        for (int i = 0; i < 20; i++) {
            op.run();
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats * 3; r++) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    /** Forward and dX of one linear layer with M tokens, K inputs, N outputs, per weight storage. */
    public List<Speed> speed(int M, int K, int N) {
        out.printf(Locale.ROOT, "%nlinear layer M=%d K=%d N=%d on %d threads, %d-lane vectors (%s)%n", M, K, N, Parallel.threads(),
                Simd.LANES, Simd.ENABLED ? "Vector API" : "vectors off");
        out.printf(Locale.ROOT, "%-8s %-5s %9s %9s %9s%n", "product", "store", "ms", "GFLOP/s", "vs f32");
        Random rng = new Random(2);
        float[] x = random(rng, M * K);
        float[] w = random(rng, N * K);
        float[] dy = random(rng, M * N);
        float[] y = new float[M * N];
        float[] dx = new float[M * K];
        List<Speed> results = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) { // shared: the kernel threads read the bf16 copy
            Tensor f32 = Tensor.wrap(w, N, K);
            Tensor bf16 = Tensor.convert(w, DType.BF16, arena, N, K);
            QuantizedTensor nf4 = QuantizedTensor.quantize("w", f32, QuantScheme.NF4);
            QuantizedTensor int8 = QuantizedTensor.quantize("w", f32, QuantScheme.INT8);
            String[] storages = {"f32", "bf16", "nf4", "int8"};
            Runnable[] forward = {
                () -> Linear.forward(y, 0, x, 0, f32, null, M, K, N),
                () -> Linear.forward(y, 0, x, 0, bf16, null, M, K, N),
                () -> Linear.forward(y, 0, x, 0, nf4, null, M, K, N),
                () -> Linear.forward(y, 0, x, 0, int8, null, M, K, N)};
            Runnable[] dX = {
                () -> Linear.backward(dx, 0, null, null, dy, 0, x, 0, f32, M, K, N),
                () -> Linear.backward(dx, 0, null, null, dy, 0, x, 0, bf16, M, K, N),
                () -> Linear.backwardInput(dx, 0, dy, 0, nf4, M, K, N),
                () -> Linear.backwardInput(dx, 0, dy, 0, int8, M, K, N)};
            timeAll(results, "forward", storages, forward, M, K, N);
            timeAll(results, "dX", storages, dX, M, K, N);
        }
        return results;
    }

    /**
     * Warms every variant up (at least ten runs and half a second each, so C2 has compiled the
     * packing path of every storage), then times them in interleaved rounds, best of
     * {@code repeats}: on a shared machine, load drifts hit every variant alike.
     */
    private void timeAll(List<Speed> results, String product, String[] storages, Runnable[] ops, int M, int K, int N) {
        for (Runnable op : ops) {
            long warmUntil = System.nanoTime() + 500_000_000L;
            for (int i = 0; i < 10 || System.nanoTime() < warmUntil; i++) {
                op.run();
            }
        }
        double[] best = new double[ops.length];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int r = 0; r < repeats; r++) {
            for (int v = 0; v < ops.length; v++) {
                long t0 = System.nanoTime();
                ops[v].run();
                best[v] = Math.min(best[v], (System.nanoTime() - t0) / 1e6);
            }
        }
        for (int v = 0; v < ops.length; v++) {
            double gflops = 2.0 * M * K * N / (best[v] / 1e3) / 1e9;
            out.printf(Locale.ROOT, "%-8s %-5s %9.2f %9.1f %8.2fx%n", product, storages[v], best[v], gflops, best[0] / best[v]);
            results.add(new Speed(product, storages[v], M, K, N, best[v], gflops));
        }
    }

    private static float[] random(Random rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextGaussian() * 0.02f;
        }
        return a;
    }

    /**
     * {@code java --add-modules jdk.incubator.vector … io.supportlm.bench.QuantBenchmark [repeats]}:
     * the memory table, the measured heap of the NF4 weights, dequantization speed, then forward and dX at M=512 K=576 N=1536.
     */
    public static void main(String[] args) {
        QuantBenchmark bench = new QuantBenchmark(args.length > 0 ? Integer.parseInt(args[0]) : 5, System.out);
        bench.memory();
        bench.measuredHeap(QuantScheme.NF4);
        bench.dequantizeSpeed(576, 1536);
        bench.speed(512, 576, 1536);
    }
}
