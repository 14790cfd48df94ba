package io.supportlm.cli;

import io.supportlm.classify.ClassifierExport;
import io.supportlm.sft.CausalLmAdapter;
import io.supportlm.sft.CausalLmExport;
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
            description = {"Folds a LoRA adapter into its base model and writes a plain Hugging Face checkpoint (f32):",
                    "a classifier with its heads, or a reply-generation (sft/dpo) adapter into its decoder.",
                    "After QLoRA the deltas go into the original-precision base weights, not the 4-bit copy."})
    static final class MergeCmd implements Callable<Integer> {
        @Option(names = "--adapter", required = true, description = "The adapter directory (runs/<id>/adapter).")
        Path adapter;

        @Option(names = "--model", description = "Base model directory or org/name (default: the one the adapter was trained on).")
        String model;

        @Option(names = "--out", required = true, description = "Directory of the merged checkpoint.")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (isCausalLm(adapter)) {
                CausalLmExport.Result r = CausalLmExport.merge(adapter, model, out);
                System.out.printf("merged %d adapted layers; %d tensors -> %s%n", r.mergedLayers(), r.tensors(), r.out().toAbsolutePath());
                return 0;
            }
            ClassifierExport.Result r = ClassifierExport.merge(adapter, model, out);
            System.out.printf("merged %d adapted layers; %d tensors -> %s%n", r.mergedLayers(), r.tensors(), r.out().toAbsolutePath());
            return 0;
        }

        /** A reply-generation adapter records task causal_lm in its supportlm.json. */
        static boolean isCausalLm(Path adapter) throws java.io.IOException {
            Path meta = adapter.resolve(CausalLmAdapter.SUPPORTLM_JSON);
            return java.nio.file.Files.isRegularFile(meta)
                    && new com.fasterxml.jackson.databind.ObjectMapper().readTree(meta.toFile()).path("task").asText("").equals("causal_lm");
        }
    }
}
