package io.supportlm.cli;

import io.supportlm.bench.GenerateBenchmark;
import io.supportlm.bench.KernelBenchmark;
import io.supportlm.bench.QuantBenchmark;
import io.supportlm.bench.SftBenchmark;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm bench …}: measurements that print absolute figures and ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: absolute figures and ratios against the machine's peak or a peer.",
        subcommands = {BenchCommand.Kernels.class, BenchCommand.Generate.class, BenchCommand.Quant.class, BenchCommand.Classify.class,
                BenchCommand.Sft.class, BenchCommand.Serve.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "kernels", mixinStandardHelpOptions = true,
            description = "Matmul GFLOP/s (forward, dX, dW; f32 and bf16 weights) on a 135M decoder's shapes, against the measured FMA peak.")
    static final class Kernels implements Callable<Integer> {
        @Option(names = "--tokens", defaultValue = "2048", description = "Rows of the activations (batch × sequence). Default: ${DEFAULT-VALUE}.")
        int tokens;

        @Option(names = "--repeats", defaultValue = "20", description = "Timed rounds, each running every product once; each product's best is reported. Default: ${DEFAULT-VALUE}.")
        int repeats;

        @Option(names = "--peer", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Then time the same products with numpy (OpenBLAS) on the same threads, when a Python with numpy is found. Default: ${DEFAULT-VALUE}.")
        boolean peer;

        @Override
        public Integer call() {
            if (tokens < 1 || repeats < 1) {
                throw new IllegalArgumentException("--tokens and --repeats must be at least 1");
            }
            var results = new KernelBenchmark(tokens, repeats, System.out).run();
            double flops = 0, seconds = 0;
            for (var r : results) {
                if (r.dtype() == io.supportlm.tensor.DType.F32) {
                    flops += 2.0 * r.M() * r.K() * r.N();
                    seconds += r.millis() / 1e3;
                }
            }
            double ours = flops / seconds / 1e9;
            if (peer) {
                PeerBenchmark.run("matmul_numpy.py", "numpy", io.supportlm.tensor.Parallel.threads(),
                        java.util.List.of("--tokens", Integer.toString(tokens), "--repeats", Integer.toString(repeats)), 600)
                        .ifPresent(p -> System.out.printf("peer %s (OpenBLAS, same shapes and threads): %.1f GFLOP/s for all f32 products; "
                                + "supportlm = %.2f× the peer%n", p.path("peer").asText(), p.path("total_gflops").asDouble(),
                                ours / p.path("total_gflops").asDouble()));
            }
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Prefill and decode tokens/s of a SmolLM2-135M-shaped model (random weights, f32 and bf16).")
    static final class Generate implements Callable<Integer> {
        @Option(names = "--prompt", defaultValue = "128", description = "Prompt tokens. Default: ${DEFAULT-VALUE}.")
        int prompt;

        @Option(names = "--decode", defaultValue = "32", description = "Tokens to decode. Default: ${DEFAULT-VALUE}.")
        int decode;

        @Override
        public Integer call() throws Exception {
            if (prompt < 1 || decode < 1) {
                throw new IllegalArgumentException("--prompt and --decode must be at least 1");
            }
            new GenerateBenchmark(prompt, decode, System.out).run();
            return 0;
        }
    }

    @Command(name = "sft", mixinStandardHelpOptions = true,
            description = "SFT training tokens/s: LoRA r 16 on every linear layer of a SmolLM2-135M-shaped decoder (random weights).")
    static final class Sft implements Callable<Integer> {
        @Option(names = "--batch", defaultValue = "8", description = "Rows per step. Default: ${DEFAULT-VALUE}.")
        int batch;

        @Option(names = "--length", defaultValue = "256", description = "Tokens per row. Default: ${DEFAULT-VALUE}.")
        int length;

        @Option(names = "--steps", defaultValue = "3", description = "Timed steps (after one warm-up step). Default: ${DEFAULT-VALUE}.")
        int steps;

        @Option(names = "--layers", defaultValue = "30", description = "Decoder layers (30 = the real shape). Default: ${DEFAULT-VALUE}.")
        int layers;

        @Option(names = "--peer", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Then time the same step in PyTorch eager (bench/peers/sft_step_torch.py), when a Python with torch is found. Default: ${DEFAULT-VALUE}.")
        boolean peer;

        @Override
        public Integer call() throws Exception {
            var ours = new SftBenchmark(layers, 49152, batch, length, 1, steps, System.out).run();
            if (peer) {
                PeerBenchmark.run("sft_step_torch.py", "torch", io.supportlm.tensor.Parallel.threads(),
                        java.util.List.of("--threads", Integer.toString(io.supportlm.tensor.Parallel.threads()), "--batch",
                                Integer.toString(batch), "--seq", Integer.toString(length), "--layers", Integer.toString(layers),
                                "--steps", Integer.toString(steps), "--warmup", "1"), 3600)
                        .ifPresent(p -> System.out.printf("peer %s eager (same shape, LoRA, batch and threads): %.2f s per step, %.1f tokens/s; "
                                + "supportlm = %.2f× the peer%n", p.path("peer").asText(), p.path("step_seconds").asDouble(),
                                p.path("tokens_per_second").asDouble(), ours.tokensPerSecond() / p.path("tokens_per_second").asDouble()));
            }
            return 0;
        }
    }

    @Command(name = "quant", mixinStandardHelpOptions = true,
            description = "QLoRA storage: bytes of a 135M decoder's linear weights in f32, bf16, NF4 and int8, and matmul speed with dequantization.")
    static final class Quant implements Callable<Integer> {
        @Override
        public Integer call() {
            QuantBenchmark.main(new String[0]);
            return 0;
        }
    }

    @Command(name = "classify", mixinStandardHelpOptions = true,
            description = {"Fine-tunes and scores a pretrained encoder on a real data set from shared/datasets: "
                    + "banking77 (77 intents; official test split scored once) or bitext (intent and category heads at once).",
                    "Long: minutes to tens of minutes on 2 cores. Results go to <work>/results/bench-<dataset>-<encoder>/."})
    static final class Classify implements Callable<Integer> {
        @Option(names = "--dataset", required = true, description = "banking77 or bitext.")
        String dataset;

        @Option(names = "--encoder", defaultValue = "bge-small", description = "bge-small or minilm. Default: ${DEFAULT-VALUE}.")
        String encoder;

        @Option(names = "--epochs", defaultValue = "3", description = "Training epochs. Default: ${DEFAULT-VALUE}.")
        int epochs;

        @Option(names = "--datasets", description = "The shared/datasets directory (default: found above the working directory).")
        java.nio.file.Path datasets;

        @Option(names = "--work", defaultValue = "bench-work", description = "Working directory. Default: ${DEFAULT-VALUE}.")
        java.nio.file.Path work;

        @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a training config key (repeatable).")
        java.util.List<String> overrides = new java.util.ArrayList<>();

        @Option(names = "--methods", split = ",", defaultValue = "lora",
                description = "lora, qlora and/or prompt, comma-separated. Several: each runs in its own JVM and a comparison "
                        + "(accuracy, time, tokens/s against the matmul peak, trainable parameters, adapter size, peak memory) "
                        + "is printed and written to <work>/results/. Default: ${DEFAULT-VALUE}.")
        java.util.List<String> methods = new java.util.ArrayList<>();

        @Option(names = "--refit",
                description = "Then train again on train + validation with the same settings (the validation split having "
                        + "served to choose them; no early stopping) and score that model on the test split as well. One method only.")
        boolean refit;

        @Option(names = "--ensemble", defaultValue = "1", paramLabel = "N",
                description = "With --refit: N refits with consecutive seeds, each scored, then their ensemble (probabilities "
                        + "averaged, as eval --adapter A --adapter B … scores it). Default: ${DEFAULT-VALUE}.")
        int ensemble;

        @Option(names = "--result-json", hidden = true, description = "Where a single-method run writes its numbers (used by --methods).")
        java.nio.file.Path resultJson;

        @Override
        public Integer call() throws Exception {
            return ClassifyBenchmark.run(dataset, encoder, datasets, work, epochs, methods, overrides, refit, ensemble, resultJson);
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Serving under load over loopback HTTP: classification requests/s and p50/p99 latency of our server "
                    + "(all-MiniLM-L6-v2 + a classifier adapter) against ONNX Runtime Java serving the same ONNX file; "
                    + "then generation tokens/s with 1 and 8 concurrent /v1/chat/completions streams on a SmolLM2-135M-shaped model.",
                    "Takes about 2 × (warm-up + seconds) for classification and warm-up + 2 × seconds (plus the last requests) "
                    + "for generation, after a one-time preparation in --work."})
    static final class Serve implements Callable<Integer> {
        @Option(names = "--seconds", defaultValue = "20", description = "Measured time per scenario. Default: ${DEFAULT-VALUE}.")
        double seconds;

        @Option(names = "--warmup-seconds", defaultValue = "10", description = "Load before measuring, for the JIT. Default: ${DEFAULT-VALUE}.")
        double warmupSeconds;

        @Option(names = "--clients", defaultValue = "16", description = "Concurrent classification clients. Default: ${DEFAULT-VALUE}.")
        int clients;

        @Option(names = "--max-requests", defaultValue = "1000000", description = "At most this many requests per scenario. Default: ${DEFAULT-VALUE}.")
        long maxRequests;

        @Option(names = "--max-batch", defaultValue = "16", description = "Our micro-batcher's batch. Default: ${DEFAULT-VALUE}.")
        int maxBatch;

        @Option(names = "--max-wait-ms", defaultValue = "5", description = "Our micro-batcher's wait. Default: ${DEFAULT-VALUE}.")
        long maxWaitMs;

        @Option(names = "--max-length", defaultValue = "128", description = "Tokens per classified text (both servers). Default: ${DEFAULT-VALUE}.")
        int maxLength;

        @Option(names = "--peer-threads", defaultValue = "0", description = "ONNX Runtime intra-op threads (0: its default, one per core). Default: ${DEFAULT-VALUE}.")
        int peerThreads;

        @Option(names = "--streams", split = ",", defaultValue = "1,8", description = "Concurrent generation streams per scenario. Default: ${DEFAULT-VALUE}.")
        List<Integer> streams;

        @Option(names = "--max-tokens", defaultValue = "64", description = "Completion tokens per generation request. Default: ${DEFAULT-VALUE}.")
        int maxTokens;

        @Option(names = "--adapter", paramLabel = "DIR", description = "A classifier adapter over all-MiniLM-L6-v2 (default: train a small one on synthetic tickets).")
        java.nio.file.Path adapter;

        @Option(names = "--only", defaultValue = "all", description = "classification, generation or all. Default: ${DEFAULT-VALUE}.")
        String only;

        @Option(names = "--work", defaultValue = "bench-work", description = "Working directory (models, adapter). Default: ${DEFAULT-VALUE}.")
        java.nio.file.Path work;

        @Override
        public Integer call() throws Exception {
            if (!List.of("all", "classification", "generation").contains(only)) {
                throw new IllegalArgumentException("--only must be classification, generation or all, got '" + only + "'");
            }
            if (!(seconds > 0) || !(warmupSeconds >= 0)) {
                throw new IllegalArgumentException("--seconds must be positive and --warmup-seconds not negative");
            }
            io.supportlm.server.bench.ServeBenchmark.Options options = new io.supportlm.server.bench.ServeBenchmark.Options(clients,
                    java.time.Duration.ofMillis(Math.round(seconds * 1000)), java.time.Duration.ofMillis(Math.round(warmupSeconds * 1000)),
                    maxRequests, maxBatch, java.time.Duration.ofMillis(maxWaitMs), maxLength, peerThreads, streams, maxTokens);
            return ServeBench.run(options, work, adapter, !only.equals("generation"), !only.equals("classification"));
        }
    }
}
