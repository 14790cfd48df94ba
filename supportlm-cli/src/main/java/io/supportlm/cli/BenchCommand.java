package io.supportlm.cli;

import io.supportlm.bench.KernelBenchmark;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm bench …}: measurements that print absolute figures and ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks: absolute figures and ratios against the machine's peak or a peer.",
        subcommands = {BenchCommand.Kernels.class})
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
}
