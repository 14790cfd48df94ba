package io.supportlm.cli;

import io.supportlm.bench.GenerateBenchmark;
import io.supportlm.bench.KernelBenchmark;
import io.supportlm.bench.QuantBenchmark;
import io.supportlm.bench.SftBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm bench …}: measurements that print absolute figures and ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: absolute figures and ratios against the machine's peak or a peer.",
        subcommands = {BenchCommand.Kernels.class, BenchCommand.Generate.class, BenchCommand.Quant.class, BenchCommand.Classify.class, BenchCommand.Sft.class})
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

        @Option(names = "--repeats", defaultValue = "5", description = "Timed runs per product; the best is reported. Default: ${DEFAULT-VALUE}.")
        int repeats;

        @Override
        public Integer call() {
            if (tokens < 1 || repeats < 1) {
                throw new IllegalArgumentException("--tokens and --repeats must be at least 1");
            }
            new KernelBenchmark(tokens, repeats, System.out).run();
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

        @Override
        public Integer call() throws Exception {
            new SftBenchmark(layers, 49152, batch, length, 1, steps, System.out).run();
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

        @Option(names = "--result-json", hidden = true, description = "Where a single-method run writes its numbers (used by --methods).")
        java.nio.file.Path resultJson;

        @Override
        public Integer call() throws Exception {
            return ClassifyBenchmark.run(dataset, encoder, datasets, work, epochs, methods, overrides, resultJson);
        }
    }
}
