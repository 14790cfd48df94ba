package io.supportlm.cli;

import io.supportlm.classify.ClassifierExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm export …}: turn fine-tuned adapters into deployable artifacts. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Turns fine-tuned adapters into deployable checkpoints.",
        subcommands = {ExportCommand.MergeCmd.class})
final class ExportCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = {"Folds a LoRA adapter into its base model and writes a plain Hugging Face checkpoint (f32) with the heads.",
                    "After QLoRA the deltas go into the original-precision base weights, not the 4-bit copy."})
    static final class MergeCmd implements Callable<Integer> {
        @Option(names = "--adapter", required = true, description = "The classifier directory (runs/<id>/adapter).")
        Path adapter;

        @Option(names = "--model", description = "Base model directory or org/name (default: the one the adapter was trained on).")
        String model;

        @Option(names = "--out", required = true, description = "Directory of the merged checkpoint.")
        Path out;

        @Override
        public Integer call() throws Exception {
            ClassifierExport.Result r = ClassifierExport.merge(adapter, model, out);
            System.out.printf("merged %d adapted layers; %d tensors -> %s%n", r.mergedLayers(), r.tensors(), r.out().toAbsolutePath());
            return 0;
        }
    }
}
